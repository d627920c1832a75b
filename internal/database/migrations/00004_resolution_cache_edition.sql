-- +goose Up
-- The resolution cache is keyed by edition: the title key carries a title's edition marks
-- ("… [graphic novel]") and edition_key the publication year the answer was verified against,
-- so that an ISBN found for one edition is never served for another. Rows written before did not
-- say which edition they answered (a graphic novel's ISBN could sit under its original's key),
-- so they are dropped; the next attempt that meets a book looks it up again.
DELETE FROM backfill_resolution_cache;
ALTER TABLE backfill_resolution_cache ADD COLUMN IF NOT EXISTS edition_key TEXT NOT NULL DEFAULT '';
ALTER TABLE backfill_resolution_cache DROP CONSTRAINT IF EXISTS backfill_resolution_cache_pkey;
ALTER TABLE backfill_resolution_cache ADD PRIMARY KEY (title_key, author_key, edition_key);

-- +goose Down
DELETE FROM backfill_resolution_cache;
ALTER TABLE backfill_resolution_cache DROP CONSTRAINT IF EXISTS backfill_resolution_cache_pkey;
ALTER TABLE backfill_resolution_cache DROP COLUMN IF EXISTS edition_key;
ALTER TABLE backfill_resolution_cache ADD PRIMARY KEY (title_key, author_key);
