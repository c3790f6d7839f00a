"""/luma-admin …: what its parts share: the command group, the Manage Server check, and how a change is logged and
the settings shown. Manage Server only, checked twice.

A top-level command, not a /luma subgroup: Discord applies default_member_permissions only to
top-level commands, so only this way are the admin commands hidden from members who lack the permission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.guilds.quota import LIMIT_LABELS
from bot.notes import Note
from bot.ui.admin import settings_embed
from bot.ui.notes import render_all

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

__all__ = ["ADMIN", "AdminPart", "admin_only"]

ADMIN = app_commands.Group(
    name="luma-admin",
    description=locale_str("luma-bot settings for this server's admins"),
    default_permissions=discord.Permissions(manage_guild=True),
    guild_only=True,
)


def admin_only() -> Any:
    """Discord hides admin commands from members without Manage Server (default_permissions), but a
    server can override that per role or channel; this runtime check refuses them anyway."""
    return app_commands.checks.has_permissions(manage_guild=True)


class AdminPart:
    """A part of the /luma-admin cog (Red-DiscordBot's mixin pattern): its commands, over the bot it was loaded into."""

    bot: LumaBot

    def _logged(self, interaction: discord.Interaction[LumaBot], *notes: Note) -> str | None:
        """Every change also goes to the mod log (in the server's language); returns the notes as one line in the
        admin's."""
        assert interaction.guild_id is not None
        if not notes:
            return None
        self.bot.mod_log.admin_change(interaction.guild_id, interaction.user.id, notes)
        return render_all(notes)

    async def _show_settings(
        self, interaction: discord.Interaction[LumaBot], note: str | None = None, warnings: list[str] | None = None
    ) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_store.get(interaction.guild_id)
        limits = await self.bot.quota.limits(interaction.guild_id)
        stars = self.bot.settings.showcase_stars
        embed = settings_embed(settings, limits, LIMIT_LABELS, self.bot.quota.defaults, stars)
        lines = ([f"✅ {note}"] if note else []) + (warnings or [])
        await interaction.response.send_message(
            content="\n".join(lines) or None,
            embed=embed,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
