"""/luma-admin quota, settings, pause, resume, log and usage: the server's limits, channels, defaults and rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.delivery.reach import missing_names, reach_in
from bot.guilds.admin import AdminError
from bot.guilds.quota import LIMIT_LABELS
from bot.i18n import N_, _
from bot.ui.admin import audit_embed, usage_embed

from ._choices import ASPECT_CHOICES, language_choices

if TYPE_CHECKING:
    from bot.app.bot import LumaBot

from ._admin_base import ADMIN, AdminPart, admin_only

RESULTS_NEED = N_(
    "⚠️ I lack {permissions} in {channel}: results there come in the member's interaction while it lasts (15 "
    "minutes), else by DM. Give me those in the channel's permissions."
)
SHOWCASE_NEEDS = N_(
    "⚠️ I lack {permissions} in {channel}: the showcase can't be posted there in full until I have them."
)
MOD_LOG_NEEDS = N_("⚠️ I lack {permissions} in {channel}: the mod log can't be posted there in full until I have them.")
# "guild_daily: videos per day for this server": the limit's own name stays, its label is translated (the translator
# reads `label` and `prefix`: bot/app/translator.py)
LIMIT_CHOICES = [
    app_commands.Choice(
        name=locale_str(f"{name}: {label}"[:100], label=label, prefix=f"{name}: "),  # i18n: not text (see above)
        value=name,
    )
    for name, label in LIMIT_LABELS.items()
]


class ServerSettings(AdminPart):
    @ADMIN.command(name="quota", description=locale_str("Show the limits, or set one"))
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
        note = await self.bot.guild_admin.set_limit(interaction.guild_id, interaction.user.id, limit.value, value)
        await self._show_settings(interaction, self._logged(interaction, note))

    @ADMIN.command(
        name="settings", description=locale_str("Show the settings, or change channels, the role rule and defaults")
    )
    @app_commands.describe(
        allow_channel=locale_str("Allow videos in this channel (once any is allowed, only those are)"),
        disallow_channel=locale_str("Stop allowing videos in this channel"),
        all_channels=locale_str("Allow videos in every channel again"),
        role=locale_str("The role for the role rule"),
        role_mode=locale_str(
            "only: only the role may make videos; none: no rule (a role's own limits: /luma-admin tier)"
        ),
        aspect_ratio=locale_str("Default aspect ratio"),
        loop=locale_str("Loop by default"),
        enhancement=locale_str("Prompt enhancement by default"),
        mod_log_channel=locale_str("Post every request, refusal and admin change to this channel"),
        mod_log_off=locale_str("Stop posting to the mod log"),
        spoiler=locale_str("Post results behind a spoiler"),
        age_restricted_only=locale_str("Allow videos only in age-restricted channels"),
        language=locale_str("The language of public messages here (default: the server's own)"),
        private_videos=locale_str("Let members make private videos (only they see them; the mod log still does)"),
        showcase_channel=locale_str("Repost results that collect enough ⭐ to this channel"),
        showcase_off=locale_str("Stop reposting to the showcase"),
        showcase_stars=locale_str("How many ⭐ from other members a result needs for the showcase (default 3)"),
        gallery_age_restricted=locale_str("Show videos made in age-restricted channels in the web gallery"),
    )
    @app_commands.choices(
        aspect_ratio=ASPECT_CHOICES,
        role_mode=[
            app_commands.Choice(name=locale_str("only"), value="only"),
            app_commands.Choice(name=locale_str("none"), value="none"),
        ],
        language=language_choices(locale_str("the server's own")),
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
        private_videos: bool | None = None,
        showcase_channel: discord.TextChannel | None = None,
        showcase_off: bool | None = None,
        showcase_stars: app_commands.Range[int, 1, 100] | None = None,
        gallery_age_restricted: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        guild, actor = interaction.guild_id, interaction.user.id
        notes = await self._where_and_who(guild, actor, allow_channel, disallow_channel, all_channels, role, role_mode)
        if aspect_ratio is not None or loop is not None or enhancement is not None:
            ratio = aspect_ratio.value if aspect_ratio else None
            defaults = self.bot.guild_admin.set_defaults(
                guild, actor, aspect_ratio=ratio, loop=loop, enhancement=enhancement
            )
            notes.append(await defaults)
        moderation = (mod_log_channel, mod_log_off, spoiler, age_restricted_only, language, private_videos)
        if any(v is not None for v in moderation):
            notes.append(
                await self.bot.guild_admin.set_moderation(
                    guild,
                    actor,
                    mod_log_channel=mod_log_channel.id if mod_log_channel else None,
                    stop_mod_log=bool(mod_log_off),
                    spoiler=spoiler,
                    age_restricted_only=age_restricted_only,
                    language=None if language is None else ("" if language.value == "auto" else language.value),
                    private_allowed=private_videos,
                )
            )
        notes += await self._showcase(
            guild, actor, showcase_channel, showcase_off, showcase_stars, gallery_age_restricted
        )
        warnings = self._channel_warnings(allow_channel, mod_log_channel, showcase_channel)
        await self._show_settings(interaction, self._logged(interaction, *notes), warnings)

    async def _showcase(
        self,
        guild: int,
        actor: int,
        channel: discord.TextChannel | None,
        off: bool | None,
        stars: int | None,
        gallery_age_restricted: bool | None,
    ) -> list[str]:
        """The showcase channel and its stars, and the gallery's age rule: the note of what changed."""
        if all(v is None for v in (channel, off, stars, gallery_age_restricted)):
            return []
        change = self.bot.guild_admin.set_showcase
        chosen = channel.id if channel else None
        ages = gallery_age_restricted
        return [await change(guild, actor, channel=chosen, off=bool(off), stars=stars, gallery_age_restricted=ages)]

    async def _where_and_who(
        self,
        guild: int,
        actor: int,
        allow: discord.TextChannel | None,
        disallow: discord.TextChannel | None,
        everywhere: bool | None,
        role: discord.Role | None,
        role_mode: app_commands.Choice[str] | None,
    ) -> list[str]:
        """The channels videos may be made in, and the role rule: the notes of what changed."""
        notes = []
        if allow or disallow or everywhere:
            notes.append(
                await self.bot.guild_admin.set_channels(
                    guild,
                    actor,
                    allow=allow.id if allow else None,
                    disallow=disallow.id if disallow else None,
                    everywhere=bool(everywhere),
                )
            )
        if role_mode is not None or role is not None:
            mode = role_mode.value if role_mode else "only"
            notes.append(await self.bot.guild_admin.set_role(guild, actor, role.id if role else None, mode))
        return notes

    def _channel_warnings(
        self,
        results: discord.abc.GuildChannel | None,
        log: discord.abc.GuildChannel | None,
        showcase: discord.abc.GuildChannel | None = None,
    ) -> list[str]:
        """What the bot lacks in a channel an admin just chose, said to that admin now, in words."""
        warnings = []
        chosen = ((results, RESULTS_NEED, False), (log, MOD_LOG_NEEDS, False), (showcase, SHOWCASE_NEEDS, True))
        for channel, sentence, files in chosen:
            if channel is None:
                continue
            missing = reach_in(self.bot, channel.guild.id, channel.id).for_posting(embeds=True, files=files)
            if missing:
                warnings.append(_(sentence).format(channel=channel.mention, permissions=missing_names(missing)))
        return warnings

    @ADMIN.command(name="pause", description=locale_str("Stop members from making videos here until resumed"))
    @admin_only()
    async def admin_pause(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        note = await self.bot.guild_admin.set_paused(interaction.guild_id, interaction.user.id, True)
        await self._show_settings(interaction, self._logged(interaction, note))

    @ADMIN.command(name="resume", description=locale_str("Let members make videos here again"))
    @admin_only()
    async def admin_resume(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        note = await self.bot.guild_admin.set_paused(interaction.guild_id, interaction.user.id, False)
        await self._show_settings(interaction, self._logged(interaction, note))

    @ADMIN.command(name="log", description=locale_str("Who changed what, and when"))
    @admin_only()
    async def admin_log(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        entries = await self.bot.guild_store.audit_log(interaction.guild_id, limit=20)
        await interaction.response.send_message(
            embed=audit_embed(entries), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @ADMIN.command(name="usage", description=locale_str("This month's videos and spend by member, and who is blocked"))
    @admin_only()
    async def admin_usage(self, interaction: discord.Interaction[LumaBot]) -> None:
        assert interaction.guild_id is not None
        quota = self.bot.quota
        bot_videos, month = await quota.month_spend()
        rows = await quota.store.month_by_member(interaction.guild_id, month, limit=25)
        status = await quota.status(interaction.guild_id, interaction.user.id)
        blocked = await self.bot.moderation.blocked(interaction.guild_id)
        private = await self.bot.videos.private_count(interaction.guild_id, f"{month}-01")
        embed = usage_embed(month, rows, quota.wallet, blocked, status.usage.guild_month, bot_videos, private)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
