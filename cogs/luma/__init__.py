"""/luma … and /luma-admin …: the slash commands, the context menu and the reply listener."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._admin import AdminCog
from ._cog import LumaCog
from ._errors import on_app_command_error

if TYPE_CHECKING:
    from bot.app import LumaBot


async def setup(bot: LumaBot) -> None:
    bot.tree.on_error = on_app_command_error  # type: ignore[method-assign]
    await bot.add_cog(LumaCog(bot))
    await bot.add_cog(AdminCog(bot))
