"""The bot's web server: the API's callbacks (signed paths), /healthz, /metrics and the served copies, and the
connection guard that keeps the port usable under a flood. No Discord here.

May import: bot.jobs, bot.media, bot.store, bot.config.
"""
