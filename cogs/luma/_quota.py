"""/luma quota."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.ui.members import with_member_fields
from bot.ui.messages import queue_embed, quota_embed

from ._base import LumaCogPart
from ._flow import member_roles

if TYPE_CHECKING:
    from bot.app.bot import LumaBot


class QuotaCommands(LumaCogPart):
    @app_commands.command(name="quota", description=locale_str("What you and this server have used and have left"))
    async def quota(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        roles = member_roles(interaction.user)
        status = await self.bot.quota.status(interaction.guild_id, interaction.user.id, roles)
        line = self.bot.jobs.queue_view(interaction.guild_id, interaction.user.id)
        prefs = await self.bot.members.get(interaction.user.id)
        embed = with_member_fields(quota_embed(status, line), status, prefs)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="queue", description=locale_str("What waits and renders, and your place in line"))
    async def queue(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        view = self.bot.jobs.queue_view(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(embed=queue_embed(view), ephemeral=True)
