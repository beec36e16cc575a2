-- Chronicle's schema. Kept to SQL that SQLite and PostgreSQL both accept where that costs nothing:
-- times are BIGINT Unix seconds (UTC), booleans are INTEGER 0/1, ids come back with RETURNING.

CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    url              TEXT    NOT NULL UNIQUE,
    title            TEXT,                       -- the organiser's title (overrides the feed's)
    author           TEXT,                       -- the organiser's author for entries naming none
    feed_title       TEXT,                       -- the feed's own <title>
    site_url         TEXT,                       -- the blog's home page
    source           TEXT    NOT NULL DEFAULT 'cli' CHECK (source IN ('cli', 'config')),
    enabled          INTEGER NOT NULL DEFAULT 1,
    etag             TEXT,
    last_modified    TEXT,
    body_hash        TEXT,                       -- hash of the last 200 body: unchanged body, no parse
    last_fetched_at  BIGINT,
    last_success_at  BIGINT,
    last_status      TEXT,                       -- 'ok', 'not modified', 'error'
    last_http_status INTEGER,
    last_error       TEXT,
    error_count      INTEGER NOT NULL DEFAULT 0,
    next_check_at    BIGINT  NOT NULL DEFAULT 0,
    created_at       BIGINT  NOT NULL
);

CREATE TABLE feed_tags (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    tag     TEXT    NOT NULL,
    PRIMARY KEY (feed_id, tag)
);

CREATE TABLE entries (
    id            INTEGER PRIMARY KEY,
    feed_id       INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    guid          TEXT    NOT NULL,
    url           TEXT,
    title         TEXT    NOT NULL,
    author        TEXT,
    published_at  BIGINT  NOT NULL,              -- first-seen time when the feed gives none
    updated_at    BIGINT,
    summary       TEXT    NOT NULL,
    content       TEXT    NOT NULL,              -- sanitised HTML
    content_hash  TEXT    NOT NULL,
    word_count    INTEGER NOT NULL DEFAULT 0,    -- for reading time
    first_seen_at BIGINT  NOT NULL,
    UNIQUE (feed_id, guid)
);
CREATE INDEX entries_published_at ON entries (published_at);
CREATE INDEX entries_first_seen_at ON entries (first_seen_at);

CREATE TABLE digests (
    id          INTEGER PRIMARY KEY,
    week        TEXT    NOT NULL UNIQUE,         -- ISO week, e.g. 2026-W47
    subject     TEXT    NOT NULL,
    html        TEXT    NOT NULL,                -- with the unsubscribe placeholder
    text        TEXT    NOT NULL,
    markdown    TEXT    NOT NULL DEFAULT '',     -- for posting the digest on a blog
    story_count INTEGER NOT NULL,
    created_at  BIGINT  NOT NULL,
    frozen_at   BIGINT,                          -- set when sending starts: never re-rendered after
    sent_at     BIGINT                           -- set when every delivery is settled
);

-- The stories a digest holds, in order: what was sent stays known even if entries change.
CREATE TABLE digest_entries (
    digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    entry_id  INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    PRIMARY KEY (digest_id, entry_id)
);
CREATE INDEX digest_entries_entry ON digest_entries (entry_id);

CREATE TABLE subscribers (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
    token           TEXT    NOT NULL UNIQUE,     -- secret for unsubscribe/confirm links
    created_at      BIGINT  NOT NULL,
    confirmed_at    BIGINT,
    unsubscribed_at BIGINT
);

-- The delivery ledger: one row per (digest, subscriber), created when sending starts.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    digest_id       INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    subscriber_id   INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at BIGINT,
    sent_at         BIGINT,
    smtp_reply      TEXT,
    error           TEXT,
    UNIQUE (digest_id, subscriber_id)
);
CREATE INDEX deliveries_status ON deliveries (digest_id, status);
