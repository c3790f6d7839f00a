"""The persistent buttons (Extend, and Cancel on a waiting job): owned by the cog, registered in its
cog_load (RoboDanny's pattern).

The button is drawn by bot/ui.py with the video id in its custom_id; this DynamicItem matches that
custom_id after any restart, rebuilds its state from it, and opens the Extend form.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.tree import reply_privately
from bot.ui import CANCEL_BUTTON_TEMPLATE, EXTEND_BUTTON_TEMPLATE, cancel_button, extend_button

if TYPE_CHECKING:
    from bot.app import LumaBot

    from ._extend import ExtendCommands


class ExtendButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=EXTEND_BUTTON_TEMPLATE):
    #: set by the cog in cog_load: what pressing the button does
    handler: ExtendCommands | None = None

    def __init__(self, video_id: str) -> None:
        self.video_id = video_id
        super().__init__(extend_button(video_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[LumaBot], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ExtendButton:
        return cls(match["video_id"])

    async def callback(self, interaction: discord.Interaction[LumaBot]) -> None:
        if ExtendButton.handler is not None:
            await ExtendButton.handler.open_extend_modal(interaction, self.video_id)


class CancelButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CANCEL_BUTTON_TEMPLATE):
    """On a job waiting for a slot: its requester, or anyone with Manage Server, takes it out of the line."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(cancel_button(job_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[LumaBot], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CancelButton:
        return cls(match["job_id"])

    async def callback(self, interaction: discord.Interaction[LumaBot]) -> None:
        may_manage = bool(interaction.permissions.manage_guild)
        text = await interaction.client.jobs.cancel(self.job_id, interaction.user.id, may_manage=may_manage)
        await reply_privately(interaction, text)
