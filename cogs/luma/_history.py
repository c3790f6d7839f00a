"""/luma history and /luma video."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.history import find_video, history_page
from bot.ui import HistoryView, history_embed, video_page

from ._extend import video_autocomplete

if TYPE_CHECKING:
    from bot.app import LumaBot


class HistoryCommands:
    bot: LumaBot

    @app_commands.command(name="history", description=locale_str("This server's videos, newest first"))
    @app_commands.describe(member=locale_str("Only this member's videos"), page=locale_str("Which page to start at"))
    async def history(
        self,
        interaction: discord.Interaction[LumaBot],
        member: discord.Member | None = None,
        page: app_commands.Range[int, 1, 10000] = 1,
    ) -> None:
        assert interaction.guild_id is not None
        guild_id, member_id = interaction.guild_id, member.id if member else None

        async def load(number: int) -> tuple[discord.Embed, int, int]:
            found = await history_page(self.bot.jobs.videos, guild_id, number, member_id)
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
        if pages <= 1:
            await interaction.response.send_message(embed=embed, allowed_mentions=discord.AllowedMentions.none())
            return
        view = HistoryView(interaction.user.id, number, pages, load)
        await interaction.response.send_message(embed=embed, view=view, allowed_mentions=discord.AllowedMentions.none())
        view.message = await interaction.original_response()

    @app_commands.command(
        name="video", description=locale_str("One video's page: the result, its parent and its extensions")
    )
    @app_commands.describe(id=locale_str("The video: pick from the list, or paste its id"))
    @app_commands.autocomplete(id=video_autocomplete)
    async def video(self, interaction: discord.Interaction[LumaBot], id: app_commands.Range[str, 1, 100]) -> None:
        assert interaction.guild_id is not None
        videos = self.bot.jobs.videos
        video = await find_video(videos, interaction.guild_id, id)
        parent = await videos.get(interaction.guild_id, video.parent_video_id) if video.parent_video_id else None
        children = await videos.children(interaction.guild_id, video.video_id)
        rendered = video_page(video, parent, children, self.bot.links)
        await interaction.response.send_message(**rendered.kwargs(), allowed_mentions=discord.AllowedMentions.none())
