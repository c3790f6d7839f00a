-- The language of this server's public messages (#13): a Discord locale such as zh-CN, or NULL for the
-- server's own (its Community locale, which Discord sends as guild_locale / preferred_locale).
ALTER TABLE guild_settings ADD COLUMN language TEXT;

-- The requester's own language (Discord's interaction locale), for what only they are told later.
ALTER TABLE jobs ADD COLUMN member_locale TEXT;
