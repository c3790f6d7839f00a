"""The owner's terminal: `luma-bot setup`, `invite`, `check` and `try`. Plain text in the terminal's language.

Owns the owner's first hour: asking and checking the tokens, writing .env, the invite link, one real video end to
end. May import the core (bot.luma, bot.store, bot.config, bot.i18n) and discord.py's permission arithmetic; never
the running bot (bot.app) nor the cogs.
"""
