"""A server's rules: who may make videos where (access), what its admins may change (admin), and its quotas
(quota: limits, atomic reservations, charges and refunds). No Discord here.

May import: bot.store, bot.moderation.wallet, bot.i18n, bot.config, bot.errors.
"""
