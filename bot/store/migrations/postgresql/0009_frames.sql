-- 0009 for PostgreSQL: the same table; the media constraints are altered in place (SQLite rebuilt the table).
CREATE TABLE frames (
    id           TEXT PRIMARY KEY,
    guild_id     BIGINT NOT NULL,
    url          TEXT NOT NULL,
    attachment   TEXT NOT NULL,
    ephemeral    BIGINT NOT NULL DEFAULT 0,
    content_type TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX frames_by_attachment ON frames (guild_id, attachment);
ALTER TABLE media DROP CONSTRAINT media_video_id_fkey;
ALTER TABLE media DROP CONSTRAINT media_kind_check;
ALTER TABLE media ADD CONSTRAINT media_kind_check CHECK (kind IN ('video', 'thumbnail', 'frame'));
CREATE TABLE channel_problems (
    guild_id     BIGINT NOT NULL,
    channel_id   BIGINT NOT NULL,
    purpose      TEXT NOT NULL,
    missing      TEXT NOT NULL,
    noticed_at   TEXT NOT NULL,
    PRIMARY KEY (guild_id, channel_id, purpose)
);
ALTER TABLE guild_settings ADD COLUMN mod_log_set_by BIGINT;
