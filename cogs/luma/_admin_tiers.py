"""/luma-admin tier … and grant: a role's own member limits, and bonus videos for one member."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.guilds.admin import AdminError
from bot.i18n import _
from bot.ui.admin import tiers_embed

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

from ._admin_base import ADMIN, AdminPart, admin_only

TIER = app_commands.Group(
    name="tier", description=locale_str("Member limits of their own for members of a role"), parent=ADMIN
)


class MemberTiers(AdminPart):
    @TIER.command(
        name="set", description=locale_str("Give a role its own member limits (several roles: the most generous)")
    )
    @app_commands.describe(
        role=locale_str("The role"),
        daily=locale_str("Videos per day for each member: a number, none (unlimited) or default"),
        monthly=locale_str("Videos per month for each member: a number, none (unlimited) or default"),
        concurrent=locale_str("Videos in progress at once for each member: a number, none or default"),
        cooldown=locale_str("Seconds between two videos of one member: a number, none or default"),
        waiting=locale_str("Videos waiting in line at once for each member: a number, none or default"),
    )
    @admin_only()
    async def tier_set(
        self,
        interaction: discord.Interaction[LumaBot],
        role: discord.Role,
        daily: app_commands.Range[str, 1, 20] | None = None,
        monthly: app_commands.Range[str, 1, 20] | None = None,
        concurrent: app_commands.Range[str, 1, 20] | None = None,
        cooldown: app_commands.Range[str, 1, 20] | None = None,
        waiting: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        given = {
            f"member_{name}": value
            for name, value in (
                ("daily", daily),
                ("monthly", monthly),
                ("concurrent", concurrent),
                ("cooldown", cooldown),
                ("waiting", waiting),
            )
            if value is not None
        }
        note = await self.bot.tiers.set_tier(interaction.guild_id, interaction.user.id, role.id, given)
        await self._show_tiers(interaction, self._logged(interaction, note))

    @TIER.command(name="remove", description=locale_str("Take a role's own limits away (the server's apply again)"))
    @app_commands.describe(role=locale_str("The role"))
    @admin_only()
    async def tier_remove(self, interaction: discord.Interaction[LumaBot], role: discord.Role) -> None:
        assert interaction.guild_id is not None
        note = await self.bot.tiers.remove_tier(interaction.guild_id, interaction.user.id, role.id)
        await self._show_tiers(interaction, self._logged(interaction, note))

    @TIER.command(name="list", description=locale_str("The roles with limits of their own"))
    @admin_only()
    async def tier_list(self, interaction: discord.Interaction[LumaBot]) -> None:
        await self._show_tiers(interaction)

    async def _show_tiers(self, interaction: discord.Interaction[LumaBot], note: str | None = None) -> None:
        assert interaction.guild_id is not None
        tiers = await self.bot.tiers.all(interaction.guild_id)
        await interaction.response.send_message(
            content=f"✅ {note}" if note else None,
            embed=tiers_embed(tiers),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @ADMIN.command(name="grant", description=locale_str("Give a member bonus videos, used after their daily allowance"))
    @app_commands.describe(
        member=locale_str("Who"),
        videos=locale_str("How many bonus videos"),
        expires=locale_str("e.g. 7d, 2w; empty: they never expire"),
    )
    @admin_only()
    async def admin_grant(
        self,
        interaction: discord.Interaction[LumaBot],
        member: discord.Member,
        videos: app_commands.Range[int, 1, 1000],
        expires: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if member.bot:
            raise AdminError(_("Bots don't make videos."))
        note = await self.bot.tiers.grant(interaction.guild_id, interaction.user.id, member.id, videos, expires)
        await interaction.response.send_message(
            f"✅ {self._logged(interaction, note)}", ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
