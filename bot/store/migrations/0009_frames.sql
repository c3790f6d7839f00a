-- The pictures members hand the bot from Discord (#19): a file attached to a command (an ephemeral attachment,
-- removed "after a set period of time") or the picture of Apps › Animate image. Each is kept like a result (its
-- bytes: a `media` row with kind 'frame' and this id), so that a link that works can be handed to the API later.
CREATE TABLE frames (
    id           TEXT PRIMARY KEY,          -- random; the key of its served copy too
    guild_id     INTEGER NOT NULL,
    url          TEXT NOT NULL,             -- the Discord link as it was given (signed)
    attachment   TEXT NOT NULL,             -- the same link unsigned: how a request's frame is recognised
    ephemeral    INTEGER NOT NULL DEFAULT 0,
    content_type TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX frames_by_attachment ON frames (guild_id, attachment);

-- A media row now belongs to a video or to a frame (its id in `video_id`): the table is rebuilt without the
-- reference to videos and with the new kind, since SQLite cannot alter a constraint in place.
CREATE TABLE media_new (
    video_id     TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('video', 'thumbnail', 'frame')),
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

-- Channels where the bot lacks what it needs (#19): noticed when it looks before posting, told once to the admin
-- who chose the channel, listed by `luma-bot check`, cleared once a post there works again.
CREATE TABLE channel_problems (
    guild_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    purpose      TEXT NOT NULL,              -- 'mod_log' | 'results'
    missing      TEXT NOT NULL,              -- the permissions lacking, as discord.py names them, comma-separated
    noticed_at   TEXT NOT NULL,
    PRIMARY KEY (guild_id, channel_id, purpose)
);
-- who chose the mod log's channel: the admin told if the bot cannot post there
ALTER TABLE guild_settings ADD COLUMN mod_log_set_by INTEGER;
