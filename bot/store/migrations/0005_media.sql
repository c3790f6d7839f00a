-- The bot's own copies of each result (the API's links expire): one row per file of a video, from the
-- moment it is due to be kept until it is kept (or given up on). A row still 'pending' at start is
-- downloaded again.
CREATE TABLE media (
    video_id     TEXT NOT NULL REFERENCES videos (video_id),
    kind         TEXT NOT NULL CHECK (kind IN ('video', 'thumbnail')),
    source_url   TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'kept', 'failed')),
    path         TEXT,
    bytes        INTEGER,
    tries        INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (video_id, kind)
);
CREATE INDEX media_pending ON media (state) WHERE state = 'pending';
