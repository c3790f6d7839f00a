-- Per-guild settings and limits set by the guild's admins, and the audit log of their changes.
CREATE TABLE guild_settings (
    guild_id             INTEGER PRIMARY KEY,
    paused               INTEGER NOT NULL DEFAULT 0,
    allowed_channels     TEXT NOT NULL DEFAULT '[]',  -- JSON list of channel ids; empty: everywhere
    role_id              INTEGER,
    role_mode            TEXT CHECK (role_mode IN ('exempt', 'only')),
    default_aspect_ratio TEXT,
    default_loop         INTEGER,
    default_enhancement  INTEGER,
    updated_at           TEXT NOT NULL
);

-- A row overrides the bot-wide default for one limit; value NULL means unlimited.
CREATE TABLE guild_limits (
    guild_id INTEGER NOT NULL,
    name     TEXT NOT NULL,
    value    INTEGER,
    PRIMARY KEY (guild_id, name)
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX audit_log_guild ON audit_log (guild_id, id DESC);
