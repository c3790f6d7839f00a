"""/luma … and /luma-admin …: the slash commands, the context menu and the reply listener."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._admin import AdminCog
from ._cog import LumaCog
from ._stars import StarsCog

if TYPE_CHECKING:
    from bot.app.bot import LumaBot


async def setup(bot: LumaBot) -> None:
    await bot.add_cog(LumaCog(bot))
    await bot.add_cog(AdminCog(bot))
    await bot.add_cog(StarsCog(bot))
