-- Moderation and the owner's wallet (#12): prompt rules, member blocks, the mod log, spoilers, age-restricted
-- channels, deleted results, and the budget alerts already sent.

-- Words and phrases this server keeps out of prompts, as the admin typed them (matched folded: bot/moderation).
CREATE TABLE blocked_terms (
    guild_id   INTEGER NOT NULL,
    term       TEXT NOT NULL,
    added_by   INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, term)
);

-- A member who may not make videos in this server, until `until` (NULL: until unblocked).
CREATE TABLE member_blocks (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    reason     TEXT,
    until      TEXT,
    blocked_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

ALTER TABLE guild_settings ADD COLUMN mod_log_channel_id INTEGER;
ALTER TABLE guild_settings ADD COLUMN spoiler INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guild_settings ADD COLUMN age_restricted_only INTEGER NOT NULL DEFAULT 0;

-- Post this job's result behind a spoiler (the member's option, else the server's setting at the request).
ALTER TABLE jobs ADD COLUMN spoiler INTEGER NOT NULL DEFAULT 0;

-- The result message was deleted by its requester or a moderator: the row stays, hidden from members.
ALTER TABLE videos ADD COLUMN deleted_at TEXT;
ALTER TABLE videos ADD COLUMN deleted_by INTEGER;

-- Each month's budget alert (80, 100 percent) is sent to the owner once, across restarts.
CREATE TABLE budget_alerts (
    month   TEXT NOT NULL,
    percent INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (month, percent)
);
