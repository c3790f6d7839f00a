"""/luma-admin showcase remove and /luma-admin gallery revoke: taking a result out of the showcase, and closing every
gallery link given until now."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.guilds.admin import AdminError
from bot.i18n import _

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

from ._admin_base import ADMIN, AdminPart, admin_only

SHOWCASE = app_commands.Group(
    name="showcase", description=locale_str("The showcase: results that collected enough stars"), parent=ADMIN
)
GALLERY = app_commands.Group(name="gallery", description=locale_str("The server's web gallery"), parent=ADMIN)


class ShowcaseAdmin(AdminPart):
    @SHOWCASE.command(name="remove", description=locale_str("Take a result out of the showcase, for good"))
    @app_commands.describe(video=locale_str("The video's ID (under the showcase post)"))
    @admin_only()
    async def showcase_remove(
        self, interaction: discord.Interaction[LumaBot], video: app_commands.Range[str, 1, 100]
    ) -> None:
        assert interaction.guild_id is not None
        video_id = video.strip().strip("`")
        if await self.bot.videos.get(interaction.guild_id, video_id) is None:
            raise AdminError(_("No video of this server has the ID `{id}`.").format(id=video_id[:100]))
        had_post = await self.bot.showcase.remove(interaction.guild_id, video_id, interaction.user.id)
        note = await self.bot.guild_admin.showcase_removed(interaction.guild_id, interaction.user.id, video_id)
        said = self._logged(interaction, note)
        extra = _("Its showcase post was deleted.") if had_post else _("It had no showcase post; it never will.")
        await interaction.response.send_message(f"✅ {said}\n{extra}", ephemeral=True)

    @GALLERY.command(name="revoke", description=locale_str("Close every gallery link given until now"))
    @admin_only()
    async def gallery_revoke(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        note = await self.bot.guild_admin.revoke_gallery(interaction.guild_id, interaction.user.id)
        said = self._logged(interaction, note)
        tail = _("Members get a new one with /luma gallery.")
        await interaction.response.send_message(f"✅ {said}\n{tail}", ephemeral=True)
