-- The message of the interaction's first response, so that after its token expires the bot can still
-- turn the stale "generating…" placeholder into a pointer to the result (through the channel endpoint).
ALTER TABLE jobs ADD COLUMN progress_message_id INTEGER;
