"""The /luma command group, put together from one mixin per area."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.inputs import InputError

from ._extend import ExtendCommands
from ._flow import reply_privately
from ._generate import GenerateCommands
from ._history import HistoryCommands

if TYPE_CHECKING:
    from bot.app import LumaBot

log = logging.getLogger(__name__)


class LumaCog(
    GenerateCommands,
    ExtendCommands,
    HistoryCommands,
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
        self.bot.open_extend_modal = self.open_extend_modal

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.extend_menu.name, type=self.extend_menu.type)

    async def cog_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Every error a member can cause becomes a private, friendly sentence; the rest is logged."""
        original = getattr(error, "original", error)
        if isinstance(original, InputError | ValueError):
            text = str(original)
        elif isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
            text = "You need the Manage Server permission for this."
        elif isinstance(error, app_commands.TransformerError):
            text = f"That value is not valid for `{error.value}`." if error.value else "That value is not valid."
        else:
            log.error(
                "command %s failed", interaction.command and interaction.command.qualified_name, exc_info=original
            )
            text = "Something went wrong on the bot's side. Nothing was charged; please try again."
        try:
            await reply_privately(interaction, text)
        except discord.HTTPException:
            log.warning("could not tell the member about an error")
