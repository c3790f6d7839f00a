"""The command tree (passed to the bot as `tree_cls`): one place where an error meets a member.

A `MemberError` (bad input, a refusal, an admin's mistake) is the member's to read: it is shown
privately, as written. Anything else is a bug: logged with its traceback, and the member gets a plain
sentence that promises nothing was charged (a job that never started holds no reservation).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.errors import MemberError

__all__ = ["LumaTree", "reply_privately"]

log = logging.getLogger(__name__)

BUG = "Something went wrong on the bot's side. Nothing was charged; please try again."


async def reply_privately(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer only the member: as the first response if still possible, else as a follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


def error_text(error: BaseException) -> str | None:
    """What a member reads for this error, or None when it is a bug."""
    original = getattr(error, "original", error)
    if isinstance(original, MemberError):
        return str(original)
    if isinstance(error, app_commands.MissingPermissions):
        return "You need the Manage Server permission for this."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This works in a server, not in DMs."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this here."
    if isinstance(error, app_commands.TransformerError):
        return "That value is not valid for this option."
    return None


class LumaTree(app_commands.CommandTree[Any]):
    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
        text = error_text(error)
        if text is None:
            name = interaction.command.qualified_name if interaction.command else "?"
            log.error("command %s failed", name, exc_info=getattr(error, "original", error))
            text = BUG
        try:
            await reply_privately(interaction, text)
        except discord.HTTPException:
            log.warning("could not tell the member about an error")
