-- Readers: double opt-in confirmations, and the name an organiser's import may give.
-- New tables only: the subscribers table keeps its columns (its status is read as text).

-- One row per confirmation mail. Only the SHA-256 of the link's token is kept, so a copy of the
-- database confirms no one. A row is used once (used_at) and expires (expires_at).
CREATE TABLE confirmations (
    id            INTEGER PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    token_hash    TEXT    NOT NULL UNIQUE,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    used_at       BIGINT
);
-- The per-address mail limits count an address's recent confirmations.
CREATE INDEX confirmations_subscriber ON confirmations (subscriber_id, created_at);

-- A reader's name, when the organiser's import gave one.
CREATE TABLE subscriber_names (
    subscriber_id INTEGER NOT NULL PRIMARY KEY REFERENCES subscribers(id) ON DELETE CASCADE,
    name          TEXT    NOT NULL
);

-- Sign-ups find an address without regard to case (one mailbox, one set of mail limits).
CREATE INDEX subscribers_email_lower ON subscribers (LOWER(email));
