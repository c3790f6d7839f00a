"""What members ask for, before it is a job: their inputs checked, a request's options resolved the one way every
path uses, the videos they may extend or run again. No Discord here.

May import: bot.luma, bot.store, bot.i18n, bot.errors, bot.media.links.
"""
