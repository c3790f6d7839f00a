"""/luma-admin …: limits, settings, pause, the audit log and usage. Manage Server only, checked twice.

A top-level command, not a /luma subgroup: Discord applies default_member_permissions only to
top-level commands, so only this way are the admin commands hidden from members who lack the permission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.delivery.reach import missing_names, reach_in
from bot.guilds.admin import AdminError, GuildAdmin
from bot.guilds.quota import LIMIT_LABELS
from bot.i18n import N_, _, ngettext
from bot.moderation.blocklist import TERM_MAX
from bot.ui.messages import plain, settings_embed, timestamp, usage_embed

from ._generate import ASPECT_CHOICES

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

RESULTS_NEED = N_(
    "⚠️ I lack {permissions} in {channel}: results there come in the member's interaction while it lasts (15 "
    "minutes), else by DM. Give me those in the channel's permissions."
)
MOD_LOG_NEEDS = N_("⚠️ I lack {permissions} in {channel}: the mod log can't be posted there in full until I have them.")
# "guild_daily: videos per day for this server": the limit's own name stays, its label is translated
LIMIT_CHOICES = [
    app_commands.Choice(name=locale_str(f"{name}: {label}"[:100], label=label, prefix=f"{name}: "), value=name)
    for name, label in LIMIT_LABELS.items()
]


def admin_only() -> Any:
    """Discord hides admin commands from members without Manage Server (default_permissions), but a
    server can override that per role or channel; this runtime check refuses them anyway."""
    return app_commands.checks.has_permissions(manage_guild=True)


class AdminCog(commands.Cog, name="luma-admin"):
    def __init__(self, bot: LumaBot) -> None:
        self.bot = bot

    admin = app_commands.Group(
        name="luma-admin",
        description=locale_str("luma-bot settings for this server's admins"),
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    @property
    def guild_admin(self) -> GuildAdmin:
        return GuildAdmin(self.bot.jobs.db, self.bot.guild_store, self.bot.quota)

    def _logged(self, interaction: discord.Interaction[LumaBot], *notes: str) -> str | None:
        """Every change also goes to the mod log; returns the notes as one line."""
        assert interaction.guild_id is not None
        text = "; ".join(n for n in notes if n)
        if text:
            self.bot.mod_log.admin_change(interaction.guild_id, interaction.user.id, text)
        return text or None

    async def _show_settings(
        self, interaction: discord.Interaction[LumaBot], note: str | None = None, warnings: list[str] | None = None
    ) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_store.get(interaction.guild_id)
        limits = await self.bot.quota.limits(interaction.guild_id)
        embed = settings_embed(settings, limits, LIMIT_LABELS, self.bot.quota.defaults)
        lines = ([f"✅ {note}"] if note else []) + (warnings or [])
        await interaction.response.send_message(
            content="\n".join(lines) or None,
            embed=embed,
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @admin.command(name="quota", description=locale_str("Show the limits, or set one"))
    @app_commands.describe(
        limit=locale_str("Which limit"),
        value=locale_str("A whole number within the bot owner's limit, 0 to close, or default"),
    )
    @app_commands.choices(limit=LIMIT_CHOICES)
    @admin_only()
    async def admin_quota(
        self,
        interaction: discord.Interaction[LumaBot],
        limit: app_commands.Choice[str] | None = None,
        value: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if limit is None or value is None:
            if limit is not None or value is not None:
                raise AdminError(_("Give both a limit and a value (or neither, to see them all)."))
            await self._show_settings(interaction)
            return
        note = await self.guild_admin.set_limit(interaction.guild_id, interaction.user.id, limit.value, value)
        await self._show_settings(interaction, self._logged(interaction, note))

    @admin.command(
        name="settings", description=locale_str("Show the settings, or change channels, the role rule and defaults")
    )
    @app_commands.describe(
        allow_channel=locale_str("Allow videos in this channel (once any is allowed, only those are)"),
        disallow_channel=locale_str("Stop allowing videos in this channel"),
        all_channels=locale_str("Allow videos in every channel again"),
        role=locale_str("The role for the role rule"),
        role_mode=locale_str(
            "exempt: the role skips member limits; only: only the role may make videos; none: no rule"
        ),
        aspect_ratio=locale_str("Default aspect ratio"),
        loop=locale_str("Loop by default"),
        enhancement=locale_str("Prompt enhancement by default"),
        mod_log_channel=locale_str("Post every request, refusal and admin change to this channel"),
        mod_log_off=locale_str("Stop posting to the mod log"),
        spoiler=locale_str("Post results behind a spoiler"),
        age_restricted_only=locale_str("Allow videos only in age-restricted channels"),
        language=locale_str("The language of public messages here (default: the server's own)"),
    )
    @app_commands.choices(
        aspect_ratio=ASPECT_CHOICES,
        role_mode=[
            app_commands.Choice(name=locale_str("exempt"), value="exempt"),
            app_commands.Choice(name=locale_str("only"), value="only"),
            app_commands.Choice(name=locale_str("none"), value="none"),
        ],
        language=[
            app_commands.Choice(name=locale_str("the server's own"), value="auto"),
            app_commands.Choice(name="English", value="en-US"),
            app_commands.Choice(name="简体中文", value="zh-CN"),
            app_commands.Choice(name="繁體中文", value="zh-TW"),
        ],
    )
    @admin_only()
    async def admin_settings(
        self,
        interaction: discord.Interaction[LumaBot],
        allow_channel: discord.TextChannel | None = None,
        disallow_channel: discord.TextChannel | None = None,
        all_channels: bool | None = None,
        role: discord.Role | None = None,
        role_mode: app_commands.Choice[str] | None = None,
        aspect_ratio: app_commands.Choice[str] | None = None,
        loop: bool | None = None,
        enhancement: bool | None = None,
        mod_log_channel: discord.TextChannel | None = None,
        mod_log_off: bool | None = None,
        spoiler: bool | None = None,
        age_restricted_only: bool | None = None,
        language: app_commands.Choice[str] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        guild, actor, admin = interaction.guild_id, interaction.user.id, self.guild_admin
        notes = []
        if allow_channel or disallow_channel or all_channels:
            notes.append(
                await admin.set_channels(
                    guild,
                    actor,
                    allow=allow_channel.id if allow_channel else None,
                    disallow=disallow_channel.id if disallow_channel else None,
                    everywhere=bool(all_channels),
                )
            )
        if role_mode is not None or role is not None:
            mode = role_mode.value if role_mode else "exempt"
            notes.append(await admin.set_role(guild, actor, role.id if role else None, mode))
        if aspect_ratio is not None or loop is not None or enhancement is not None:
            notes.append(
                await admin.set_defaults(
                    guild,
                    actor,
                    aspect_ratio=aspect_ratio.value if aspect_ratio else None,
                    loop=loop,
                    enhancement=enhancement,
                )
            )
        moderation = (mod_log_channel, mod_log_off, spoiler, age_restricted_only, language)
        if any(v is not None for v in moderation):
            notes.append(
                await admin.set_moderation(
                    guild,
                    actor,
                    mod_log_channel=mod_log_channel.id if mod_log_channel else None,
                    stop_mod_log=bool(mod_log_off),
                    spoiler=spoiler,
                    age_restricted_only=age_restricted_only,
                    language=None if language is None else ("" if language.value == "auto" else language.value),
                )
            )
        await self._show_settings(
            interaction, self._logged(interaction, *notes), self._channel_warnings(allow_channel, mod_log_channel)
        )

    def _channel_warnings(
        self, results: discord.abc.GuildChannel | None, log: discord.abc.GuildChannel | None
    ) -> list[str]:
        """What the bot lacks in a channel an admin just chose, said to that admin now, in words."""
        warnings = []
        for channel, sentence in ((results, RESULTS_NEED), (log, MOD_LOG_NEEDS)):
            if channel is None:
                continue
            missing = reach_in(self.bot, channel.guild.id, channel.id).for_posting(embeds=True)
            if missing:
                warnings.append(_(sentence).format(channel=channel.mention, permissions=missing_names(missing)))
        return warnings

    @admin.command(name="pause", description=locale_str("Stop members from making videos here until resumed"))
    @admin_only()
    async def admin_pause(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        note = await self.guild_admin.set_paused(interaction.guild_id, interaction.user.id, True)
        await self._show_settings(interaction, self._logged(interaction, note))

    @admin.command(name="resume", description=locale_str("Let members make videos here again"))
    @admin_only()
    async def admin_resume(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        note = await self.guild_admin.set_paused(interaction.guild_id, interaction.user.id, False)
        await self._show_settings(interaction, self._logged(interaction, note))

    @admin.command(name="log", description=locale_str("Who changed what, and when"))
    @admin_only()
    async def admin_log(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        entries = await self.bot.guild_store.audit_log(interaction.guild_id, limit=20)
        lines = [f"{timestamp(e.created_at, 'f')} <@{e.user_id}> **{e.action}**: {e.detail}" for e in entries]
        embed = discord.Embed(title=_("📜 Admin log"), description="\n".join(lines)[:4000] or _("No changes yet."))
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @admin.command(name="usage", description=locale_str("This month's videos and spend by member, and who is blocked"))
    @admin_only()
    async def admin_usage(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        quota = self.bot.quota
        bot_videos, month = await quota.month_spend()
        rows = await quota.store.month_by_member(interaction.guild_id, month, limit=25)
        status = await quota.status(interaction.guild_id, interaction.user.id)
        blocked = await self.bot.moderation.blocked(interaction.guild_id)
        embed = usage_embed(month, rows, quota.wallet, blocked, status.usage.guild_month, bot_videos)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    # --- moderation -------------------------------------------------------------------------------

    blocklist = app_commands.Group(
        name="blocklist", description=locale_str("Words and phrases kept out of prompts"), parent=admin
    )

    @blocklist.command(
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

    @blocklist.command(
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

    @blocklist.command(name="list", description=locale_str("The words and phrases kept out of prompts here"))
    @admin_only()
    async def blocklist_list(self, interaction: discord.Interaction[LumaBot]) -> None:
        await self._show_blocklist(interaction)

    async def _show_blocklist(self, interaction: discord.Interaction[LumaBot], note: str | None = None) -> None:
        assert interaction.guild_id is not None
        terms = (await self.bot.moderation.blocklist(interaction.guild_id)).terms
        shown = ", ".join(f"`{plain(t, TERM_MAX)}`" for t in sorted(terms, key=str.casefold))
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

    @admin.command(
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
        block = await self.bot.moderation.block(interaction.guild_id, interaction.user.id, member.id, reason, duration)
        left = await self.bot.jobs.remove_member(interaction.guild_id, member.id)
        when = _("until {when}").format(when=timestamp(block.until, "f")) if block.until else _("until unblocked")
        note = _("blocked {member} {until}").format(member=member.mention, until=when)
        note += f": {block.reason}" if block.reason else ""
        if left:
            note += "; " + ngettext(
                "{n} waiting request left the line, refunded", "{n} waiting requests left the line, refunded", left
            ).format(n=left)
        self._logged(interaction, note)
        await interaction.response.send_message(
            f"✅ {note}", ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @admin.command(name="unblock", description=locale_str("Let a blocked member make videos here again"))
    @app_commands.describe(member=locale_str("Who"))
    @admin_only()
    async def admin_unblock(self, interaction: discord.Interaction[LumaBot], member: discord.Member) -> None:
        assert interaction.guild_id is not None
        note = await self.bot.moderation.unblock(interaction.guild_id, interaction.user.id, member.id)
        self._logged(interaction, note)
        await interaction.response.send_message(
            f"✅ {note}", ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
