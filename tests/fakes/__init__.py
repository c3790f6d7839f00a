"""Loopback fakes of the services the bot talks to (the fake Luma API lives in bot.luma.fake)."""
