"""The job state machine: accept, the line in front of the API's cap, submit, track (callbacks and polling),
complete or fail (charge or refund), and hand the outcome on to be delivered. No Discord here.

May import: bot.luma, bot.store, bot.guilds (quotas), bot.media, bot.i18n, bot.errors, bot.background; the
outcome goes out through the JobListener protocol (models.py), implemented by bot.delivery: the jobs never import
Discord's side.
"""
