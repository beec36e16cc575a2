-- The organiser's dashboard and the service's history (issue 12, part B).

-- Signed-in dashboard sessions. The cookie holds a random token; only its SHA-256 is kept, so
-- a copy of the database opens no session.
CREATE TABLE admin_sessions (
    token_hash TEXT   NOT NULL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);

-- Feed fetches per UTC day and result ('updated', 'unchanged', 'failed'): the dashboard's
-- "fetch success over time". One row per day and result, counted up by each fetch run.
CREATE TABLE fetch_days (
    day     BIGINT NOT NULL,                     -- Unix seconds of the day's 00:00 UTC
    result  TEXT   NOT NULL CHECK (result IN ('updated', 'unchanged', 'failed')),
    fetches BIGINT NOT NULL,
    PRIMARY KEY (day, result)
);

-- The last successful run of each job ('fetch', 'digest', 'send'), whoever ran it (the daemon or
-- the command line): the `chronicle_job_last_success_timestamp_seconds` gauge.
CREATE TABLE job_successes (
    job TEXT   NOT NULL PRIMARY KEY,
    at  BIGINT NOT NULL
);
