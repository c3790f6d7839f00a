"""/luma gallery: a member's own link to the server's web gallery."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.app.tree import reply_privately
from bot.i18n import _

from ._base import LumaCogPart
from ._flow import browse_refusal

if TYPE_CHECKING:
    from bot.app.bot import LumaBot


class GalleryCommands(LumaCogPart):
    @app_commands.command(name="gallery", description=locale_str("Your link to this server's videos on the web"))
    async def gallery(self, interaction: discord.Interaction[LumaBot]) -> None:
        """Private: the link is signed for this member and server (it shows what they may see), for a day."""
        assert interaction.guild_id is not None
        gallery = self.bot.gallery
        if gallery is None:
            await reply_privately(
                interaction,
                _("This bot has no web gallery: its owner has not set PUBLIC_BASE_URL (the bot's address on the web)."),
            )
            return
        if refusal := await browse_refusal(self.bot, interaction):
            await reply_privately(interaction, refusal)
            return
        settings = await self.bot.guild_store.get(interaction.guild_id)
        token, expires = gallery.passes.issue(interaction.guild_id, interaction.user.id, settings.gallery_epoch)
        link = gallery.link(token)
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label=_("Open the gallery"), style=discord.ButtonStyle.link, url=link))
        text = _(
            "🖼️ This server's videos on the web, as you may see them (your private ones too). The link is yours and "
            "works until {when}: whoever you give it to sees what you see."
        ).format(when=discord.utils.format_dt(expires, "f"))
        await interaction.response.send_message(text, view=view, ephemeral=True)
