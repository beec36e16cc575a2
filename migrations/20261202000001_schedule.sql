-- Scheduled jobs that run exactly once: a lease per job name (one holder at a time, across
-- processes), and one row per run of a job for a period (a week's digest, a week's send, a
-- day's housekeeping), so a restarted or second daemon sees what was done.
-- Portable SQL: plain tables, BIGINT Unix seconds, claims by conditional UPSERT/UPDATE.

CREATE TABLE leases (
    name         TEXT    PRIMARY KEY,            -- 'job:send', 'job:digest', ...
    holder       TEXT    NOT NULL,               -- host:pid:random of the process holding it
    expires_at   BIGINT  NOT NULL,               -- free for anyone after this
    heartbeat_at BIGINT  NOT NULL
);

CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY,
    job         TEXT    NOT NULL,                -- 'fetch', 'digest', 'send', 'prune', 'resume'
    period      TEXT    NOT NULL,                -- '2026-W47' for weekly jobs, the tick's time else
    holder      TEXT    NOT NULL,
    started_at  BIGINT  NOT NULL,
    finished_at BIGINT,
    outcome     TEXT,                            -- 'done', 'failed', 'missed', 'stopped'
    summary     TEXT                             -- the job's one-line summary
);
CREATE INDEX job_runs_period ON job_runs (job, period, outcome);
CREATE INDEX job_runs_started ON job_runs (job, started_at);
