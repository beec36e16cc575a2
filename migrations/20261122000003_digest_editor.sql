-- The editor's hand, and digests that keep exactly what they showed.

-- An intro note per week (Markdown), written before the digest goes out.
CREATE TABLE digest_notes (
    week       TEXT   NOT NULL PRIMARY KEY,     -- ISO week, e.g. 2026-W47
    intro      TEXT   NOT NULL,                 -- Markdown, as the organiser wrote it
    updated_at BIGINT NOT NULL
);

-- Stories the organiser pinned into, or excluded from, a week's digest.
CREATE TABLE digest_picks (
    week       TEXT    NOT NULL,
    entry_id   INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    pick       TEXT    NOT NULL CHECK (pick IN ('pin', 'exclude')),
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (week, entry_id)
);

-- Stories a digest considered but did not carry (cut by a cap, or excluded). Once the digest is
-- frozen they are settled like the stories it carried: they never roll into a later digest.
CREATE TABLE digest_skipped (
    digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    entry_id  INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    reason    TEXT    NOT NULL CHECK (reason IN ('cap', 'excluded')),
    PRIMARY KEY (digest_id, entry_id)
);
CREATE INDEX digest_skipped_entry ON digest_skipped (entry_id);

-- What templates saw (JSON), frozen with the digest: the web archive renders the page from it,
-- so it shows exactly what was sent even if entries change or disappear later.
ALTER TABLE digests ADD COLUMN view TEXT NOT NULL DEFAULT '';
