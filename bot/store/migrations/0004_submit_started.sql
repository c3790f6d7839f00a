-- When the bot began sending a job to the API. A job with this set and no task id stopped in the one
-- window where the API may have made (and billed) a video the bot never heard of: at the next start the
-- owner is told. A job without it never reached the API and is simply sent again.
ALTER TABLE jobs ADD COLUMN submit_started_at TEXT;
