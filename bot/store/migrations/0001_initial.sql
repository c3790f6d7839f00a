-- Jobs (every state from queued to delivered), the video history, and quota reservations.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE jobs (
    id                   TEXT PRIMARY KEY,          -- random, unguessable; also in the callback path
    guild_id             INTEGER NOT NULL,
    channel_id           INTEGER NOT NULL,
    user_id              INTEGER NOT NULL,
    action               TEXT NOT NULL CHECK (action IN ('generate', 'extend')),
    request              TEXT NOT NULL,             -- the VideoRequest as JSON
    parent_video_id      TEXT,                      -- extend: the video continued, when known
    state                TEXT NOT NULL CHECK (state IN ('queued', 'submitted', 'completed', 'failed')),
    task_id              TEXT UNIQUE,
    application_id       INTEGER,
    interaction_token    TEXT,                      -- cleared once the outcome is delivered
    interaction_at       TEXT,
    reply_to_message_id  INTEGER,                   -- reply path: answer as a reply to this message
    video_id             TEXT,
    error_kind           TEXT,
    error_message        TEXT,
    delivered_via        TEXT,                      -- original | channel | dm | none
    delivered_message_id INTEGER,
    delivered_channel_id INTEGER,
    created_at           TEXT NOT NULL,
    submitted_at         TEXT,
    finished_at          TEXT,
    delivered_at         TEXT
);
CREATE INDEX jobs_in_flight ON jobs (state) WHERE state IN ('queued', 'submitted');
CREATE INDEX jobs_undelivered ON jobs (state) WHERE delivered_at IS NULL AND state IN ('completed', 'failed');

CREATE TABLE videos (
    video_id         TEXT PRIMARY KEY,              -- Luma's video id (the task id when Luma gave none)
    luma_video_id    TEXT,                          -- Luma's own id, NULL when it gave none
    guild_id         INTEGER NOT NULL,
    user_id          INTEGER NOT NULL,
    channel_id       INTEGER NOT NULL,
    job_id           TEXT REFERENCES jobs (id) ON DELETE SET NULL,
    task_id          TEXT NOT NULL,
    action           TEXT NOT NULL,
    prompt           TEXT NOT NULL,
    video_url        TEXT NOT NULL,
    thumbnail_url    TEXT,
    width            INTEGER,
    height           INTEGER,
    parent_video_id  TEXT,                          -- not a foreign key: a parent may be known by URL only
    parent_video_url TEXT,
    message_id       INTEGER,                       -- where the result was posted
    message_channel_id INTEGER,
    created_at       TEXT NOT NULL
);
CREATE INDEX videos_guild_recent ON videos (guild_id, created_at DESC);
CREATE INDEX videos_guild_member ON videos (guild_id, user_id, created_at DESC);
CREATE INDEX videos_parent ON videos (parent_video_id);
CREATE INDEX videos_message ON videos (message_id);

CREATE TABLE reservations (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    job_id     TEXT NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
    state      TEXT NOT NULL CHECK (state IN ('held', 'charged', 'refunded')),
    day        TEXT NOT NULL,                       -- UTC YYYY-MM-DD of the reservation
    month      TEXT NOT NULL,                       -- UTC YYYY-MM
    created_at TEXT NOT NULL,
    settled_at TEXT
);
CREATE INDEX reservations_guild_day ON reservations (guild_id, day);
CREATE INDEX reservations_guild_month ON reservations (guild_id, month);
CREATE INDEX reservations_member_day ON reservations (guild_id, user_id, day);
CREATE INDEX reservations_held ON reservations (guild_id, user_id) WHERE state = 'held';
