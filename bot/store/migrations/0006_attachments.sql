-- Results carried as Discord attachments, kept copies served by the bot, and pruning (#11).

-- The largest file the interaction's own response may carry: Discord's attachment_size_limit, or 0 when
-- the bot may not attach files there (app_permissions without ATTACH_FILES). NULL: not an interaction.
ALTER TABLE jobs ADD COLUMN attach_limit INTEGER;

-- The Discord attachment that carries the video (its URL is signed and expires; the message lasts), and
-- the unguessable key under which the bot serves its kept copy when PUBLIC_BASE_URL is set.
ALTER TABLE videos ADD COLUMN attachment_url TEXT;
ALTER TABLE videos ADD COLUMN serve_key TEXT;
UPDATE videos SET serve_key = lower(hex(randomblob(16))) WHERE serve_key IS NULL;
CREATE UNIQUE INDEX videos_serve_key ON videos (serve_key);

-- A kept copy may now be 'pruned' (deleted to stay under MEDIA_MAX_GB): the table is rebuilt, since a
-- CHECK constraint cannot be altered in place.
CREATE TABLE media_new (
    video_id     TEXT NOT NULL REFERENCES videos (video_id),
    kind         TEXT NOT NULL CHECK (kind IN ('video', 'thumbnail')),
    source_url   TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'kept', 'failed', 'pruned')),
    path         TEXT,
    bytes        INTEGER,
    tries        INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (video_id, kind)
);
INSERT INTO media_new SELECT video_id, kind, source_url, state, path, bytes, tries, error, created_at, updated_at
    FROM media;
DROP TABLE media;
ALTER TABLE media_new RENAME TO media;
CREATE INDEX media_pending ON media (state) WHERE state = 'pending';
CREATE INDEX media_kept ON media (state, created_at) WHERE state = 'kept';
