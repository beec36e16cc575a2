-- Stories decided from whole texts (issue 10), and the organiser's merges and splits.
-- The 64-bit SimHash of a post's first 150 words merged distinct posts that open alike; a sketch
-- of the whole text (bottom-k shingle hashes, see src/stories/sketch.rs) replaces it.

ALTER TABLE entries ADD COLUMN sketch BLOB;             -- NULL: not made yet (made at the next grouping)
ALTER TABLE entries ADD COLUMN story_via INTEGER REFERENCES entries(id) ON DELETE SET NULL;
ALTER TABLE entries ADD COLUMN story_rule TEXT;         -- same-link, canonical, text, manual
ALTER TABLE entries ADD COLUMN story_distance REAL;     -- for 'text': 1 - the similarity that matched

DROP INDEX entries_story_keys;
ALTER TABLE entries DROP COLUMN fingerprint;

-- The organiser's word on two entries: one story (together = 1, `entries merge`) or never one
-- story (together = 0, `entries split`). Regrouping always respects it.
CREATE TABLE story_overrides (
    entry_id   INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    other_id   INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    together   INTEGER NOT NULL CHECK (together IN (0, 1)),
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (entry_id, other_id)
);
CREATE INDEX story_overrides_other ON story_overrides (other_id);
