-- Hardening (#25): what a job and its video carry so that their rules hold wherever they are shown or resumed.
-- A waiting job's exemption from member limits (its role), kept across a restart:
ALTER TABLE jobs ADD COLUMN exempt INTEGER NOT NULL DEFAULT 0;
-- Made in an age-restricted channel (or a thread of one): shown only in such channels, never elsewhere.
ALTER TABLE jobs ADD COLUMN age_restricted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE videos ADD COLUMN age_restricted INTEGER NOT NULL DEFAULT 0;
-- Posted behind a spoiler: kept behind one wherever it is shown (history, /luma video, its extensions).
ALTER TABLE videos ADD COLUMN spoiler INTEGER NOT NULL DEFAULT 0;
