-- +goose Up
-- backfill_log keeps the seed's columns and CHECK constraints so its operations SQL keeps
-- working; campaign, namespace, phase and updated_at identify rows across campaigns. The
-- manager is its only writer (a mirror of BackfillMonth status).
CREATE TABLE IF NOT EXISTS backfill_log (
    id              SERIAL PRIMARY KEY,
    namespace       VARCHAR(63)  NOT NULL,
    campaign        VARCHAR(253) NOT NULL,
    phase           VARCHAR(63)  NOT NULL DEFAULT '',
    year            INT NOT NULL CHECK (year BETWEEN 1900 AND 2100),
    month           INT NOT NULL CHECK (month BETWEEN 1 AND 12),
    status          VARCHAR(20) NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'retry')),
    books_generated INT DEFAULT 0 CHECK (books_generated >= 0),
    isbns_resolved  INT DEFAULT 0 CHECK (isbns_resolved >= 0),
    resolution_rate DECIMAL(5, 2) CHECK (resolution_rate BETWEEN 0 AND 100),
    isbns_queued    INT DEFAULT 0 CHECK (isbns_queued >= 0),
    gemini_calls    INT DEFAULT 0 CHECK (gemini_calls >= 0),
    xai_calls       INT DEFAULT 0 CHECK (xai_calls >= 0),
    isbndb_calls    INT DEFAULT 0 CHECK (isbndb_calls >= 0),
    started_at      TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ,
    error_message   TEXT,
    retry_count     INT DEFAULT 0 CHECK (retry_count BETWEEN 0 AND 5),
    last_retry_at   TIMESTAMPTZ,
    prompt_variant  VARCHAR(50) DEFAULT 'baseline',
    batch_size      INT DEFAULT 20 CHECK (batch_size BETWEEN 1 AND 100),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (namespace, campaign, year, month),
    CHECK (isbns_resolved <= books_generated),
    CHECK (isbns_queued <= isbns_resolved),
    CHECK (completed_at IS NULL OR completed_at >= started_at)
);
CREATE INDEX IF NOT EXISTS idx_backfill_status ON backfill_log (status);
CREATE INDEX IF NOT EXISTS idx_backfill_year_month ON backfill_log (year DESC, month DESC);
CREATE INDEX IF NOT EXISTS idx_backfill_completed ON backfill_log (completed_at DESC) WHERE completed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_backfill_scheduler ON backfill_log (status, year DESC, month DESC)
    WHERE status IN ('pending', 'retry', 'failed');

-- backfill_attempts is the worker's report of one (month, attempt), written in the same
-- transaction as its books; the manager reads it when the attempt's Job finishes.
CREATE TABLE IF NOT EXISTS backfill_attempts (
    namespace        VARCHAR(63)  NOT NULL,
    campaign         VARCHAR(253) NOT NULL,
    year             INT NOT NULL CHECK (year BETWEEN 1900 AND 2100),
    month            INT NOT NULL CHECK (month BETWEEN 1 AND 12),
    attempt          INT NOT NULL CHECK (attempt >= 1),
    mode             VARCHAR(20) NOT NULL CHECK (mode IN ('Live', 'Experiment')),
    outcome          VARCHAR(20) NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    prompt_variant   VARCHAR(50) NOT NULL,
    books_requested  INT NOT NULL CHECK (books_requested >= 0),
    books_generated  INT NOT NULL CHECK (books_generated >= 0),
    isbns_resolved   INT NOT NULL CHECK (isbns_resolved >= 0),
    isbns_queued     INT NOT NULL CHECK (isbns_queued >= 0),
    calls            JSONB NOT NULL DEFAULT '{}'::jsonb,
    refusals         TEXT[] NOT NULL DEFAULT '{}',
    quota_exhausted  TEXT[] NOT NULL DEFAULT '{}',
    error_message    TEXT,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (namespace, campaign, year, month, attempt),
    CHECK (isbns_resolved <= books_generated),
    CHECK (isbns_queued <= isbns_resolved),
    CHECK (finished_at >= started_at)
);

-- backfill_books holds every generated book once per (title, author), AI metadata kept even
-- when no ISBN was found, so paid generation is never lost.
CREATE TABLE IF NOT EXISTS backfill_books (
    id                BIGSERIAL PRIMARY KEY,
    title_key         TEXT NOT NULL,
    author_key        TEXT NOT NULL,
    title             TEXT NOT NULL,
    author            TEXT NOT NULL,
    publisher         TEXT,
    format            VARCHAR(20),
    publication_year  INT,
    publication_month INT,
    significance      TEXT,
    proposed_by       TEXT[] NOT NULL DEFAULT '{}',
    isbn13            CHAR(13),
    resolution_source VARCHAR(40),
    namespace         VARCHAR(63)  NOT NULL,
    campaign          VARCHAR(253) NOT NULL,
    year              INT NOT NULL,
    month             INT NOT NULL,
    attempt           INT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (title_key, author_key)
);
CREATE INDEX IF NOT EXISTS idx_backfill_books_month ON backfill_books (namespace, campaign, year, month);

-- backfill_isbn_queue is the enrichment queue for downstream consumers: new ISBNs only.
CREATE TABLE IF NOT EXISTS backfill_isbn_queue (
    isbn13      CHAR(13) PRIMARY KEY,
    source      TEXT NOT NULL,
    enqueued_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    consumed_at TIMESTAMPTZ
);

-- backfill_resolution_cache remembers each (title, author) lookup so a book seen again costs
-- no provider calls; a NULL isbn13 is a negative answer, trusted only while fresh.
CREATE TABLE IF NOT EXISTS backfill_resolution_cache (
    title_key   TEXT NOT NULL,
    author_key  TEXT NOT NULL,
    isbn13      CHAR(13),
    source      VARCHAR(40),
    resolved_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (title_key, author_key)
);

-- +goose Down
DROP TABLE IF EXISTS backfill_resolution_cache;
DROP TABLE IF EXISTS backfill_isbn_queue;
DROP TABLE IF EXISTS backfill_books;
DROP TABLE IF EXISTS backfill_attempts;
DROP TABLE IF EXISTS backfill_log;
