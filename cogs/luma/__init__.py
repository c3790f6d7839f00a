"""/luma …: the bot's slash commands, context menu and reply listener."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import LumaCog

if TYPE_CHECKING:
    from bot.app import LumaBot


async def setup(bot: LumaBot) -> None:
    await bot.add_cog(LumaCog(bot))
