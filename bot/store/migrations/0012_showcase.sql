-- The showcase and the web gallery (#23).
-- Who starred a result (⭐ on its message): members other than its requester, never a bot. The set, not a counter:
-- a duplicate event changes nothing, and a recount from Discord replaces it.
CREATE TABLE stars (
    video_id TEXT NOT NULL,
    user_id  INTEGER NOT NULL,
    PRIMARY KEY (video_id, user_id)
);
-- The size of that set, kept beside the video for the gallery's "most starred" order.
ALTER TABLE videos ADD COLUMN stars INTEGER NOT NULL DEFAULT 0;
CREATE INDEX videos_guild_stars ON videos (guild_id, stars DESC, created_at DESC);
-- A result reposted to the showcase channel: claimed once ('posting') before it is sent, its message recorded
-- once sent ('posted'), 'removed' for good (its video deleted, or an admin took it down: never posted again).
CREATE TABLE showcase (
    video_id    TEXT PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER,
    state       TEXT NOT NULL,
    stars_shown INTEGER NOT NULL DEFAULT 0,
    attached    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    removed_by  INTEGER
);
CREATE INDEX showcase_state ON showcase (state);
-- Where a server's showcase is (NULL: none), and how many stars a result needs (NULL: the default, 3).
ALTER TABLE guild_settings ADD COLUMN showcase_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN showcase_stars INTEGER;
-- Whether the gallery shows videos made in age-restricted channels (0: never, the default).
ALTER TABLE guild_settings ADD COLUMN gallery_age_restricted INTEGER NOT NULL DEFAULT 0;
-- Raised by an admin's "revoke": every gallery link signed with an older value is refused.
ALTER TABLE guild_settings ADD COLUMN gallery_epoch INTEGER NOT NULL DEFAULT 0;
