"""The one base every part of the Luma cog shares (Red-DiscordBot's MixinMeta pattern): what a part may use of the
cog, and the name a button finds the cog by (RoboDanny's `get_cog`), so that no part imports the cog itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

__all__ = ["LUMA_COG", "LumaCogPart"]

LUMA_COG = "Luma"  # the cog's name: `bot.get_cog(LUMA_COG)`


class LumaCogPart:
    """A part of the Luma cog: its commands and listeners, over the bot the cog was loaded into."""

    bot: LumaBot
