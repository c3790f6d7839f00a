"""The persistent buttons: on a result (Extend, Again, Delete), on a waiting job (Cancel), and the one that
opens the Again form. Owned by the cog, registered in its cog_load (RoboDanny's pattern).

Each button is drawn by bot/ui/messages.py with its video (or job) id in its custom_id; these DynamicItems match that
custom_id after any restart, rebuild their state from it, and hand the press to the cog (found by name).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from bot.app.tree import reply_privately, speak_to
from bot.ui.messages import (
    AGAIN_BUTTON_TEMPLATE,
    AGAIN_FORM_TEMPLATE,
    CANCEL_BUTTON_TEMPLATE,
    DELETE_BUTTON_TEMPLATE,
    EXTEND_BUTTON_TEMPLATE,
    REMIX_BUTTON_TEMPLATE,
    again_button,
    again_form_button,
    cancel_button,
    delete_button,
    extend_button,
    remix_button,
)

from ._base import LUMA_COG

if TYPE_CHECKING:
    from bot.app.bot import LumaBot


class VideoButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"luma:(?!)(?P<video_id>)"):
    """A button about one video; the subclass names how it is drawn and which of the cog's methods it calls."""

    draw: ClassVar[Callable[[str], discord.ui.Button[Any]]]
    action: ClassVar[str]

    def __init__(self, video_id: str) -> None:
        self.video_id = video_id
        super().__init__(type(self).draw(video_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[LumaBot], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VideoButton:
        return cls(match["video_id"])

    async def callback(self, interaction: discord.Interaction[LumaBot]) -> None:
        speak_to(interaction)
        cog = interaction.client.get_cog(LUMA_COG)  # None while the cog is unloaded: the press does nothing
        if cog is not None:
            await getattr(cog, self.action)(interaction, self.video_id)


class ExtendButton(VideoButton, template=EXTEND_BUTTON_TEMPLATE):
    draw = staticmethod(extend_button)
    action = "open_extend_modal"


class AgainButton(VideoButton, template=AGAIN_BUTTON_TEMPLATE):
    draw = staticmethod(again_button)
    action = "run_again"


class AgainFormButton(VideoButton, template=AGAIN_FORM_TEMPLATE):
    draw = staticmethod(again_form_button)
    action = "open_again_form"


class RemixButton(VideoButton, template=REMIX_BUTTON_TEMPLATE):
    draw = staticmethod(remix_button)
    action = "open_again_form"


class DeleteButton(VideoButton, template=DELETE_BUTTON_TEMPLATE):
    draw = staticmethod(delete_button)
    action = "delete_result"


RESULT_BUTTONS = (ExtendButton, AgainButton, AgainFormButton, RemixButton, DeleteButton)


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
        speak_to(interaction)
        may_manage = bool(interaction.permissions.manage_guild)
        text = await interaction.client.jobs.cancel(self.job_id, interaction.user.id, may_manage=may_manage)
        await reply_privately(interaction, text)
