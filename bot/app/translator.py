"""Commands in the member's language: discord.py's app_commands.Translator over the bot's gettext catalogs.

Discord shows a command's description, its options' descriptions and its choices' names in the member's
client language when the synced payload carries `*_localizations`; the names of commands and options stay
English (what the README, the server's habits and every screenshot say). A string without a translation in a
locale gets no localisation there, and Discord shows the English.
"""

from __future__ import annotations

from discord import Locale, app_commands
from discord.app_commands import TranslationContextLocation, locale_str

from bot.i18n import SOURCE, _, catalog_for, speaking

__all__ = ["DESCRIPTION_MAX", "CatalogTranslator"]

DESCRIPTION_MAX = 100  # Discord's limit for descriptions and choice names, in every locale
_NAMES = (
    TranslationContextLocation.command_name,
    TranslationContextLocation.group_name,
    TranslationContextLocation.parameter_name,
)


class CatalogTranslator(app_commands.Translator):
    async def translate(
        self, string: locale_str, locale: Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if context.location in _NAMES:
            return None  # names stay English
        catalog = catalog_for(str(locale))
        if catalog == SOURCE:
            return None
        with speaking(catalog):
            label = string.extras.get("label")
            text = string.extras.get("prefix", "") + _(label) if label else _(string.message)
        if text == string.message:
            return None
        return text[:DESCRIPTION_MAX]
