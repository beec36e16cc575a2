-- Clean entries: first image, tags, and cross-feed deduplication.
-- A "story" is one article however many feeds carry it. Its original entry has
-- duplicate_of NULL; every other copy points at the original (never at another copy).

ALTER TABLE entries ADD COLUMN image_url TEXT;                       -- absolute, http(s)
ALTER TABLE entries ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';      -- JSON array of strings
ALTER TABLE entries ADD COLUMN norm_url TEXT;                        -- normalised link (dedup key)
ALTER TABLE entries ADD COLUMN canonical_url TEXT;                   -- normalised rel=canonical / "originally published at"
ALTER TABLE entries ADD COLUMN fingerprint BIGINT;                   -- 64-bit SimHash of title and text
ALTER TABLE entries ADD COLUMN duplicate_of INTEGER REFERENCES entries(id) ON DELETE SET NULL;

CREATE INDEX entries_duplicate_of ON entries (duplicate_of);
-- Story grouping reads these columns of every recent entry: a covering index keeps it from
-- reading the posts' bodies (stored before these columns in each row).
CREATE INDEX entries_story_keys ON entries (first_seen_at, id, feed_id, fingerprint, duplicate_of,
                                            norm_url, canonical_url, published_at, title);
