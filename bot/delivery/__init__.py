"""Discord out: posting a job's outcome (the original response, the channel, a DM), the owner's DMs, the mod log,
and what the bot may do in a channel. Discord layer.

May import: the core (jobs, requests, guilds, moderation, media, store, luma, i18n) and bot.ui; never bot.app.
"""
