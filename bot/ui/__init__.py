"""What members see: the embeds, buttons and forms of every message, rendered from the core's data. Discord layer
(discord.py's types), but no sending: bot.delivery and cogs/ post what is rendered here.

May import: the core (bot.store, bot.luma, bot.requests, bot.guilds, bot.media.links, bot.i18n).
"""
