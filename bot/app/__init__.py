"""The app: the discord.py bot, wired from the settings, run and stopped. Discord layer.

Owns: LumaBot (bot.py), building its services (wiring.py), `luma-bot run`/`sync` (running.py), the command tree
(tree.py), the command translator (translator.py), the servers it serves (servers.py). It may import every other
package of bot/; nothing in bot/ imports it (cogs/ may, for the bot's type).
"""
