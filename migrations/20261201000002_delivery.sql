-- Delivery that survives crashes and failing relays: runs with heartbeats, retries with a
-- next attempt time, Message-IDs, and hard bounces counted per subscriber.
--
-- Only new tables and ADD COLUMN: no table is rebuilt. Rebuilding `subscribers` (to widen its
-- status CHECK) would, with foreign keys on, cascade-delete every delivery, and would have to
-- know every column other migrations add. So `bouncing` is not a stored status: a subscriber
-- is bouncing when `bouncing_at` is set (see store::bounces), and the CHECK stays as it is.

-- One row per `send` process working on a digest. A run beats its heart every few seconds; the
-- deliveries it holds are taken over when it finished, or when its heartbeat stopped.
CREATE TABLE delivery_runs (
    id           INTEGER PRIMARY KEY,
    digest_id    INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    host         TEXT    NOT NULL,               -- where it runs (a dead process there is seen at once)
    pid          BIGINT  NOT NULL,
    started_at   BIGINT  NOT NULL,
    heartbeat_at BIGINT  NOT NULL,
    finished_at  BIGINT,
    outcome      TEXT                            -- 'done', 'stopped: ...', 'dead'
);
CREATE INDEX delivery_runs_open ON delivery_runs (digest_id, finished_at);

ALTER TABLE deliveries ADD COLUMN run_id INTEGER REFERENCES delivery_runs(id) ON DELETE SET NULL;
ALTER TABLE deliveries ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;  -- not before (backoff)
ALTER TABLE deliveries ADD COLUMN message_id TEXT;                             -- as sent, with <>
-- The claim reads pending rows in due order; the row id (implicit last column) breaks ties.
CREATE INDEX deliveries_due ON deliveries (digest_id, status, next_attempt_at);
CREATE INDEX deliveries_run ON deliveries (run_id);

ALTER TABLE subscribers ADD COLUMN bounce_count INTEGER NOT NULL DEFAULT 0;   -- consecutive hard bounces
ALTER TABLE subscribers ADD COLUMN bouncing_at BIGINT;                        -- set at delivery.bounce_limit
