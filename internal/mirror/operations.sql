-- The original system's operations queries over backfill_log, kept working unchanged.

-- name: active-processing
SELECT year, month, started_at, NOW() - started_at AS running_for, retry_count
FROM backfill_log
WHERE status = 'processing'
ORDER BY started_at;

-- name: failed-months
SELECT year, month, retry_count, error_message, completed_at
FROM backfill_log
WHERE status = 'failed'
ORDER BY year DESC, month DESC;

-- name: progress-by-year
SELECT year,
       COUNT(*) AS months,
       COUNT(*) FILTER (WHERE status = 'completed') AS completed,
       COUNT(*) FILTER (WHERE status = 'failed') AS failed,
       SUM(books_generated) AS books,
       SUM(isbns_resolved) AS resolved,
       ROUND(100.0 * SUM(isbns_resolved) / NULLIF(SUM(books_generated), 0), 2) AS resolution_rate
FROM backfill_log
GROUP BY year
ORDER BY year DESC;

-- name: backfill-stats
SELECT COUNT(*) AS total_months,
       COUNT(*) FILTER (WHERE status = 'pending') AS pending,
       COUNT(*) FILTER (WHERE status = 'processing') AS processing,
       COUNT(*) FILTER (WHERE status = 'completed') AS completed,
       COUNT(*) FILTER (WHERE status = 'failed') AS failed,
       COUNT(*) FILTER (WHERE status = 'retry') AS retry,
       COALESCE(SUM(books_generated), 0) AS total_books_generated,
       COALESCE(SUM(isbns_resolved), 0) AS total_isbns_resolved,
       COALESCE(SUM(isbns_queued), 0) AS total_isbns_queued
FROM backfill_log;
