-- Members (#22): personal defaults, private videos, camera moves, role tiers and grants.
-- A member's own defaults, the same in every server (a server may refuse one: then its own applies).
-- NULL: not chosen (the server's default applies).
CREATE TABLE member_prefs (
    user_id      INTEGER PRIMARY KEY,
    aspect_ratio TEXT,
    loop         INTEGER,
    enhancement  INTEGER,
    spoiler      INTEGER,
    private      INTEGER,
    language     TEXT,
    updated_at   TEXT NOT NULL
);
-- Whether members may make private videos here (1, the default) or not (0).
ALTER TABLE guild_settings ADD COLUMN private_allowed INTEGER NOT NULL DEFAULT 1;
-- A private job's progress and result go only to its member; its video is hidden from public views.
ALTER TABLE jobs ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
ALTER TABLE videos ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
-- The camera move the member picked (a key of bot/luma/camera.py): the prompt stays the member's own words.
ALTER TABLE videos ADD COLUMN camera TEXT;
-- A waiting job's cap on its member's videos rendering at once, decided by the member's tier when asked:
-- -1 the server's limit (read when a slot frees up), NULL none, else that number. Replaces jobs.exempt.
ALTER TABLE jobs ADD COLUMN member_concurrent INTEGER DEFAULT -1;
UPDATE jobs SET member_concurrent = NULL WHERE exempt = 1;
-- Role tiers: a role's own member limits (name as in bot/guilds/quota.py; value NULL = no limit).
-- A limit a tier does not name is the server's.
CREATE TABLE role_limits (
    guild_id INTEGER NOT NULL,
    role_id  INTEGER NOT NULL,
    name     TEXT NOT NULL,
    value    INTEGER,
    PRIMARY KEY (guild_id, role_id, name)
);
-- Today's exempt role becomes a tier without member limits.
INSERT INTO role_limits (guild_id, role_id, name, value)
SELECT s.guild_id, s.role_id, n.name, NULL
FROM guild_settings s,
     (SELECT 'member_daily' AS name UNION ALL SELECT 'member_monthly' UNION ALL SELECT 'member_concurrent'
      UNION ALL SELECT 'member_cooldown' UNION ALL SELECT 'member_waiting') n
WHERE s.role_mode = 'exempt' AND s.role_id IS NOT NULL;
UPDATE guild_settings SET role_mode = NULL, role_id = NULL WHERE role_mode = 'exempt';
-- Bonus videos an admin gave a member: used once the member's daily or monthly allowance is spent.
CREATE TABLE grants (
    id         TEXT PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    amount     INTEGER NOT NULL,
    expires_at TEXT,
    granted_by INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX grants_member ON grants (guild_id, user_id);
-- The grant a reservation drew on (NULL: the member's own allowance); a refund gives the unit back.
ALTER TABLE reservations ADD COLUMN grant_id TEXT;
CREATE INDEX reservations_grant ON reservations (grant_id);
-- A member's month (QUOTA_MEMBER_MONTHLY, a tier's monthly), counted inside the reservation.
CREATE INDEX reservations_member_month ON reservations (guild_id, user_id, month);
