"""/luma history and /luma video."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.app.tree import reply_privately
from bot.requests.history import find_video, history_page
from bot.ui.messages import HistoryView, history_embed, video_page

from ._base import LumaCogPart
from ._extend import video_autocomplete
from ._flow import browse_refusal, viewer_of

if TYPE_CHECKING:
    from bot.app.bot import LumaBot


class HistoryCommands(LumaCogPart):
    @app_commands.command(name="history", description=locale_str("This server's videos, newest first"))
    @app_commands.describe(
        member=locale_str("Only this member's videos"),
        page=locale_str("Which page to start at"),
        public=locale_str("Show it to the channel (default: only to you)"),
    )
    async def history(
        self,
        interaction: discord.Interaction[LumaBot],
        member: discord.Member | None = None,
        page: app_commands.Range[int, 1, 10000] = 1,
        public: bool = False,
    ) -> None:
        """Private unless asked otherwise; the server's rules hold here as for making a video; a video made in an
        age-restricted channel is listed only in such channels, and one behind a spoiler stays behind it."""
        assert interaction.guild_id is not None
        if refusal := await browse_refusal(self.bot, interaction):
            await reply_privately(interaction, refusal)
            return
        guild_id, member_id = interaction.guild_id, member.id if member else None
        viewer = viewer_of(interaction, public=public, history=True)

        async def load(number: int) -> tuple[discord.Embed, int, int]:
            found = await history_page(self.bot.videos, guild_id, number, viewer, member_id)
            embed = history_embed(
                found.videos,
                page=found.page,
                pages=found.pages,
                total=found.total,
                member_id=member_id,
                links=self.bot.links,
            )
            return embed, found.page, found.pages

        embed, number, pages = await load(page)
        quiet = discord.AllowedMentions.none()
        if pages <= 1:
            await interaction.response.send_message(embed=embed, ephemeral=not public, allowed_mentions=quiet)
            return
        view = HistoryView(interaction.user.id, number, pages, load)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=not public, allowed_mentions=quiet)
        view.message = await interaction.original_response()

    @app_commands.command(
        name="video", description=locale_str("One video's page: the result, its parent and its extensions")
    )
    @app_commands.describe(
        id=locale_str("The video: pick from the list, or paste its id"),
        public=locale_str("Show it to the channel (default: only to you)"),
    )
    @app_commands.autocomplete(id=video_autocomplete)
    async def video(
        self, interaction: discord.Interaction[LumaBot], id: app_commands.Range[str, 1, 100], public: bool = False
    ) -> None:
        assert interaction.guild_id is not None
        if refusal := await browse_refusal(self.bot, interaction):
            await reply_privately(interaction, refusal)
            return
        videos, viewer = self.bot.videos, viewer_of(interaction, public=public, history=True)
        video = await find_video(videos, interaction.guild_id, id, viewer)
        parent = None
        if video.parent_video_id:
            parent = await videos.shown(interaction.guild_id, video.parent_video_id, viewer)
        children = await videos.children(interaction.guild_id, video.video_id, viewer)
        rendered = video_page(video, parent, children, self.bot.links)
        await interaction.response.send_message(
            **rendered.kwargs(), ephemeral=not public, allowed_mentions=discord.AllowedMentions.none()
        )
