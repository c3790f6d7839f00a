"""/luma-admin blocklist …, block and unblock: the words kept out of prompts, and the members kept from making
videos."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.guilds.admin import AdminError
from bot.i18n import _, listing
from bot.moderation.blocklist import TERM_MAX
from bot.notes import Note
from bot.ui.messages import plain

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

from ._admin_base import ADMIN, AdminPart, admin_only

BLOCKLIST = app_commands.Group(
    name="blocklist", description=locale_str("Words and phrases kept out of prompts"), parent=ADMIN
)


class MemberRules(AdminPart):
    @BLOCKLIST.command(
        name="add", description=locale_str("Keep a word or phrase out of prompts (several: comma-separated)")
    )
    @app_commands.describe(terms=locale_str("A word or phrase; several separated by commas"))
    @admin_only()
    async def blocklist_add(
        self, interaction: discord.Interaction[LumaBot], terms: app_commands.Range[str, 1, 1000]
    ) -> None:
        assert interaction.guild_id is not None
        note = await self.bot.moderation.add_terms(interaction.guild_id, interaction.user.id, terms)
        await self._show_blocklist(interaction, self._logged(interaction, note))

    @BLOCKLIST.command(
        name="remove", description=locale_str("Allow a blocked word or phrase again (several: comma-separated)")
    )
    @app_commands.describe(terms=locale_str("A blocked word or phrase; several separated by commas"))
    @admin_only()
    async def blocklist_remove(
        self, interaction: discord.Interaction[LumaBot], terms: app_commands.Range[str, 1, 1000]
    ) -> None:
        assert interaction.guild_id is not None
        note = await self.bot.moderation.remove_terms(interaction.guild_id, interaction.user.id, terms)
        await self._show_blocklist(interaction, self._logged(interaction, note))

    @BLOCKLIST.command(name="list", description=locale_str("The words and phrases kept out of prompts here"))
    @admin_only()
    async def blocklist_list(self, interaction: discord.Interaction[LumaBot]) -> None:
        await self._show_blocklist(interaction)

    async def _show_blocklist(self, interaction: discord.Interaction[LumaBot], note: str | None = None) -> None:
        assert interaction.guild_id is not None
        terms = (await self.bot.moderation.blocklist(interaction.guild_id)).terms
        shown = listing([f"`{plain(t, TERM_MAX)}`" for t in sorted(terms, key=str.casefold)])
        embed = discord.Embed(
            title=_("🚫 Blocked in prompts ({n})").format(n=len(terms)),
            description=(shown[:3900] + (" …" if len(shown) > 3900 else "")) or _("Nothing is blocked."),
        )
        embed.set_footer(
            text=_("Matched as whole words, ignoring case, accents, invisible characters and look-alike letters.")
        )
        await interaction.response.send_message(
            content=f"✅ {note}" if note else None,
            embed=embed,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @ADMIN.command(
        name="block", description=locale_str("Stop a member from making videos here, for a while or until unblocked")
    )
    @app_commands.describe(
        member=locale_str("Who"),
        reason=locale_str("Told to the member when refused"),
        duration=locale_str("e.g. 30m, 12h, 7d, 2w; empty: until unblocked"),
    )
    @admin_only()
    async def admin_block(
        self,
        interaction: discord.Interaction[LumaBot],
        member: discord.Member,
        reason: app_commands.Range[str, 1, 300] | None = None,
        duration: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if member.bot:
            raise AdminError(_("Bots don't make videos."))
        _block, note = await self.bot.moderation.block(
            interaction.guild_id, interaction.user.id, member.id, reason, duration
        )
        left = await self.bot.jobs.remove_member(interaction.guild_id, member.id)
        notes = [note, Note("line_left", {"n": left})] if left else [note]
        await interaction.response.send_message(
            f"✅ {self._logged(interaction, *notes)}", ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @ADMIN.command(name="unblock", description=locale_str("Let a blocked member make videos here again"))
    @app_commands.describe(member=locale_str("Who"))
    @admin_only()
    async def admin_unblock(self, interaction: discord.Interaction[LumaBot], member: discord.Member) -> None:
        assert interaction.guild_id is not None
        note = await self.bot.moderation.unblock(interaction.guild_id, interaction.user.id, member.id)
        await interaction.response.send_message(
            f"✅ {self._logged(interaction, note)}", ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
