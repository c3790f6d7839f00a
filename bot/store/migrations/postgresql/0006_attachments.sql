-- 0006 for PostgreSQL: the same columns; a CHECK constraint is altered in place (SQLite rebuilt the table).
ALTER TABLE jobs ADD COLUMN attach_limit BIGINT;
ALTER TABLE videos ADD COLUMN attachment_url TEXT;
ALTER TABLE videos ADD COLUMN serve_key TEXT;
UPDATE videos SET serve_key = md5(random()::text) WHERE serve_key IS NULL;
CREATE UNIQUE INDEX videos_serve_key ON videos (serve_key);
ALTER TABLE media DROP CONSTRAINT media_state_check;
ALTER TABLE media ADD CONSTRAINT media_state_check CHECK (state IN ('pending', 'kept', 'failed', 'pruned'));
CREATE INDEX media_kept ON media (state, created_at) WHERE state = 'kept';
