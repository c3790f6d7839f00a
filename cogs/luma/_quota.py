"""/luma quota."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.ui import quota_embed

if TYPE_CHECKING:
    from bot.app import LumaBot


class QuotaCommands:
    bot: LumaBot

    @app_commands.command(name="quota", description="What you and this server have used and have left")
    async def quota(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        status = await self.bot.quota.status(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(embed=quota_embed(status), ephemeral=True)
