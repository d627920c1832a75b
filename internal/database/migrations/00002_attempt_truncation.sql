-- +goose Up
-- A model answer cut off by its length limit keeps its complete books; the attempt row records
-- how many begun books were lost, which models were cut, and books listed beyond the request.
ALTER TABLE backfill_attempts ADD COLUMN IF NOT EXISTS books_lost INT NOT NULL DEFAULT 0 CHECK (books_lost >= 0);
ALTER TABLE backfill_attempts ADD COLUMN IF NOT EXISTS truncated_models TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE backfill_attempts ADD COLUMN IF NOT EXISTS books_over_limit INT NOT NULL DEFAULT 0 CHECK (books_over_limit >= 0);

-- +goose Down
ALTER TABLE backfill_attempts DROP COLUMN IF EXISTS books_over_limit;
ALTER TABLE backfill_attempts DROP COLUMN IF EXISTS truncated_models;
ALTER TABLE backfill_attempts DROP COLUMN IF EXISTS books_lost;
