"""The /luma command group, put together from one mixin per area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from ._extend import ExtendCommands
from ._generate import GenerateCommands
from ._history import HistoryCommands
from ._quota import QuotaCommands
from ._views import CancelButton, ExtendButton

if TYPE_CHECKING:
    from bot.app import LumaBot


@app_commands.guild_only()
class LumaCog(
    GenerateCommands,
    ExtendCommands,
    HistoryCommands,
    QuotaCommands,
    commands.GroupCog,
    group_name="luma",
    group_description="Make AI videos with Luma",
):
    def __init__(self, bot: LumaBot) -> None:
        self.bot = bot
        super().__init__()
        # context menus cannot be cog methods: build it here, add it in cog_load, remove it in cog_unload
        self.extend_menu = app_commands.ContextMenu(name="Extend video", callback=self.extend_message)
        self.extend_menu.guild_only = True

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.extend_menu)
        ExtendButton.handler = self
        self.bot.add_dynamic_items(ExtendButton, CancelButton)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.extend_menu.name, type=self.extend_menu.type)
        self.bot.remove_dynamic_items(ExtendButton, CancelButton)
        ExtendButton.handler = None
