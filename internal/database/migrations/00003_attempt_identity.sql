-- +goose Up
-- An attempt belongs to one incarnation of a month: month_uid is the BackfillMonth's UID, so a
-- month deleted and recreated (or a campaign re-applied under the same name) never reads or
-- overwrites an earlier incarnation's rows. Rows written before this migration keep month_uid
-- '' ("an incarnation that can no longer be named"): no month created afterwards has that UID,
-- so they stay as history and are never taken for a new month's result. cause classifies a
-- failure (see FailureCause in the API) so the manager can tell the month's own failures from
-- outside ones; old rows have none.
ALTER TABLE backfill_attempts ADD COLUMN IF NOT EXISTS month_uid VARCHAR(36) NOT NULL DEFAULT '';
ALTER TABLE backfill_attempts ADD COLUMN IF NOT EXISTS cause VARCHAR(40) NOT NULL DEFAULT '';
ALTER TABLE backfill_attempts DROP CONSTRAINT IF EXISTS backfill_attempts_pkey;
ALTER TABLE backfill_attempts ADD PRIMARY KEY (namespace, campaign, year, month, month_uid, attempt);
-- A book's provenance names the incarnation that first wrote it.
ALTER TABLE backfill_books ADD COLUMN IF NOT EXISTS month_uid VARCHAR(36) NOT NULL DEFAULT '';

-- +goose Down
DELETE FROM backfill_attempts a USING backfill_attempts b
    WHERE a.namespace = b.namespace AND a.campaign = b.campaign AND a.year = b.year
      AND a.month = b.month AND a.attempt = b.attempt AND a.finished_at < b.finished_at;
ALTER TABLE backfill_attempts DROP CONSTRAINT IF EXISTS backfill_attempts_pkey;
ALTER TABLE backfill_attempts ADD PRIMARY KEY (namespace, campaign, year, month, attempt);
ALTER TABLE backfill_attempts DROP COLUMN IF EXISTS cause;
ALTER TABLE backfill_attempts DROP COLUMN IF EXISTS month_uid;
ALTER TABLE backfill_books DROP COLUMN IF EXISTS month_uid;
