"""The one tree-level error handler: member-caused errors become private, friendly sentences."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.admin import AdminError
from bot.inputs import InputError

from ._flow import reply_privately

log = logging.getLogger(__name__)


async def on_app_command_error(interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
    original = getattr(error, "original", error)
    if isinstance(original, InputError | AdminError | ValueError):
        text = str(original)
    elif isinstance(error, app_commands.MissingPermissions):
        text = "You need the Manage Server permission for this."
    elif isinstance(error, app_commands.NoPrivateMessage):
        text = "This works in a server, not in DMs."
    elif isinstance(error, app_commands.CheckFailure):
        text = "You can't use this here."
    elif isinstance(error, app_commands.TransformerError):
        text = "That value is not valid for this option."
    else:
        name = interaction.command.qualified_name if interaction.command else "?"
        log.error("command %s failed", name, exc_info=original)
        text = "Something went wrong on the bot's side. Nothing was charged; please try again."
    try:
        await reply_privately(interaction, text)
    except discord.HTTPException:
        log.warning("could not tell the member about an error")
