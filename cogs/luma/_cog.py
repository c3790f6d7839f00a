"""The /luma command group, put together from one mixin per area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from ._actions import ActionCommands
from ._base import LUMA_COG
from ._extend import ExtendCommands
from ._gallery import GalleryCommands
from ._generate import GenerateCommands
from ._history import HistoryCommands
from ._quota import QuotaCommands
from ._settings import SettingsCommands
from ._views import RESULT_BUTTONS, CancelButton

if TYPE_CHECKING:
    from bot.app.bot import LumaBot


@app_commands.guild_only()
class LumaCog(
    GenerateCommands,
    ExtendCommands,
    ActionCommands,
    HistoryCommands,
    GalleryCommands,
    QuotaCommands,
    SettingsCommands,
    commands.GroupCog,
    name=LUMA_COG,
    group_name="luma",
    group_description=locale_str("Make AI videos with Luma"),
):
    def __init__(self, bot: LumaBot) -> None:
        self.bot = bot
        super().__init__()
        # context menus cannot be cog methods: build them here, add them in cog_load, remove them in cog_unload
        self.menus = [
            app_commands.ContextMenu(name="Extend video", callback=self.extend_message),
            app_commands.ContextMenu(name="Animate image", callback=self.animate_message),
        ]
        for menu in self.menus:
            menu.guild_only = True

    async def cog_load(self) -> None:
        for menu in self.menus:
            self.bot.tree.add_command(menu)
        self.bot.add_dynamic_items(*RESULT_BUTTONS, CancelButton)

    async def cog_unload(self) -> None:
        for menu in self.menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)
        self.bot.remove_dynamic_items(*RESULT_BUTTONS, CancelButton)
