"""The moderators' log: every request's outcome (who, prompt, frames, the result), every refusal, every
admin change and every deleted result, posted to the channel a server's admins chose
(`/luma-admin settings mod_log_channel`). Best effort: a log that cannot be posted never holds up a member."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import discord

from bot.delivery.outbox import Outbox
from bot.delivery.reach import missing_names, reach_in
from bot.i18n import _, speaking
from bot.luma.camera import camera_label
from bot.media.links import jump_url
from bot.notes import Note
from bot.store import GuildSettings, Job, Video
from bot.ui.messages import COLOR_FAILED, COLOR_OK, COLOR_WORKING, Rendered, failure_reason, inert, plain, shorten
from bot.ui.notes import render_all

__all__ = ["ModLog"]

log = logging.getLogger(__name__)

COLOR_ADMIN = 0x2563EB
NONE = discord.AllowedMentions.none()  # the log names members; it never pings them


def _frames(job: Job) -> list[tuple[str, str]]:
    request = job.request
    fields = []
    for name, url in ((_("Start frame"), request.start_image_url), (_("End frame"), request.end_image_url)):
        if url:
            fields.append((name, inert(url, 1000)))  # a member's link: shown, never made live for moderators
    return fields


class ModLog:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def _send(self, guild_id: int, build: Callable[[], discord.Embed]) -> None:
        """Post in the background (the member's answer never waits for the log), in the server's language."""
        self.outbox.spawn(self._post(guild_id, build), name=f"mod-log-{guild_id}")

    async def _post(self, guild_id: int, build: Callable[[], discord.Embed]) -> None:
        """Look before posting: where the bot may not post, nothing is sent (Discord would count the refusal against
        it) and the admin who chose the channel is told, once; without Embed Links the entry goes as plain text."""
        settings = await self.outbox.guilds.get(guild_id)
        channel_id = settings.mod_log_channel_id
        if channel_id is None:
            return
        locale = await self.outbox.languages.public(guild_id)
        with speaking(locale):
            embed = build()
        reach = reach_in(self.outbox.client, guild_id, channel_id)
        missing = reach.for_posting(embeds=True)
        if not reach.can_post:
            await self._cannot_post(settings, missing, locale)
            return
        channel = self.outbox.client.get_partial_messageable(channel_id, guild_id=guild_id)
        try:
            if reach.known and not reach.can_embed:
                await channel.send(Rendered(None, embed).as_text().content, allowed_mentions=NONE)
                await self._cannot_post(settings, missing, locale)
            else:
                await channel.send(embed=embed, allowed_mentions=NONE)
                await self.outbox.guilds.clear_problem(guild_id, channel_id, "mod_log")
        except discord.HTTPException as exc:
            log.warning("could not post to the mod log of guild %s (%s %s)", guild_id, exc.status, exc.text)
            if exc.status == 403:  # the cache did not know yet (a permission changed a moment ago)
                await self._cannot_post(settings, missing or ["send_messages"], locale)

    async def _cannot_post(self, settings: GuildSettings, missing: list[str], locale: str | None) -> None:
        """Noted for `luma-bot check`; said once, by DM, to the admin who chose the channel."""
        assert settings.mod_log_channel_id is not None
        guild_id, channel_id = settings.guild_id, settings.mod_log_channel_id
        if not await self.outbox.guilds.note_problem(guild_id, channel_id, "mod_log", missing):
            return
        log.warning("the mod log of guild %s cannot be posted in full: the bot lacks %s", guild_id, missing)
        if settings.mod_log_set_by is None:
            return
        guild = self.outbox.client.get_guild(guild_id)
        with speaking(locale):
            values = {
                "channel": f"<#{channel_id}>",
                "server": plain(guild.name if guild else str(guild_id), 100),
                "permissions": missing_names(missing),
            }
            if missing == ["embed_links"]:
                text = _(
                    "⚠️ luma-bot's mod log in {channel} on **{server}** comes as plain text: give me {permissions} "
                    "there for the full entries."
                ).format(**values)
            else:
                text = _(
                    "⚠️ I can't post luma-bot's mod log in {channel} on **{server}**: I need {permissions} there. "
                    "Give me those in the channel's permissions, or choose another channel with "
                    "`/luma-admin settings mod_log_channel`."
                ).format(**values)
        try:
            dm = await self.outbox.client.create_dm(discord.Object(settings.mod_log_set_by))  # type: ignore[arg-type]
            await dm.send(text, allowed_mentions=NONE)
        except discord.HTTPException as exc:
            log.info("could not tell the admin of guild %s about the mod log (%s)", guild_id, exc.status)

    # --- what is logged ---------------------------------------------------------------------------

    def job_ended(self, job: Job, video: Video | None, message: tuple[int, int] | None) -> None:
        """A request's outcome; `message` is (channel id, message id) of the posted result."""
        self._send(job.guild_id, lambda: self._job_embed(job, video, message))

    def _job_embed(self, job: Job, video: Video | None, message: tuple[int, int] | None) -> discord.Embed:
        if video is not None:
            title, color = (_("🎬 Video made") if job.action == "generate" else _("🎬 Video extended")), COLOR_OK
        else:
            title, color = _("❌ Video not made"), COLOR_FAILED
        embed = discord.Embed(title=title, description=f">>> {plain(job.request.prompt, 3000)}", color=color)
        embed.add_field(name=_("Member"), value=f"<@{job.user_id}>", inline=True)
        embed.add_field(name=_("Channel"), value=f"<#{job.channel_id}>", inline=True)
        if job.private:
            embed.add_field(name=_("Private"), value=_("🔒 only the member sees the result"), inline=True)
        if move := camera_label(job.request.camera):
            embed.add_field(name=_("Camera move"), value=move, inline=True)
        for name, value in _frames(job):
            embed.add_field(name=name, value=value, inline=False)
        if job.parent_video_id or job.request.video_id:
            embed.add_field(name=_("Extends"), value=f"`{job.parent_video_id or job.request.video_id}`", inline=True)
        if video is not None:
            video_word, message_word = _("video"), _("message")
            links = [f"[{video_word}]({self.outbox.links.lasting(video)})"]
            if message is not None:
                links.insert(0, f"[{message_word}]({jump_url(job.guild_id, *message)})")
            embed.add_field(name=_("Result"), value=" · ".join(links)[:1024], inline=False)
            embed.set_footer(text=_("video {id}").format(id=video.video_id))
        else:
            embed.add_field(name=_("Why"), value=failure_reason(job.error_kind, job.error_message), inline=False)
        return embed

    def refused(self, guild_id: int, user_id: int, channel_id: int, prompt: str, why: Callable[[], str]) -> None:
        """A refused request; `why` is written in the log's language."""

        def build() -> discord.Embed:
            embed = discord.Embed(
                title=_("🚫 Request refused"), description=f">>> {plain(prompt, 3000)}", color=COLOR_WORKING
            )
            embed.add_field(name=_("Member"), value=f"<@{user_id}>", inline=True)
            embed.add_field(name=_("Channel"), value=f"<#{channel_id}>", inline=True)
            embed.add_field(name=_("Why"), value=shorten(why(), 1000), inline=False)
            return embed

        self._send(guild_id, build)

    def admin_change(self, guild_id: int, actor_id: int, notes: Sequence[Note]) -> None:
        def build() -> discord.Embed:  # (in the server's language, whoever made the change)
            text = shorten(render_all(notes), 3000)
            embed = discord.Embed(title=_("🛠️ Admin change"), description=text, color=COLOR_ADMIN)
            embed.add_field(name=_("By"), value=f"<@{actor_id}>", inline=True)
            return embed

        self._send(guild_id, build)

    def deleted(self, video: Video, by: int) -> None:
        def build() -> discord.Embed:
            embed = discord.Embed(
                title=_("🗑️ Result deleted"), description=f">>> {plain(video.prompt, 3000)}", color=COLOR_ADMIN
            )
            embed.add_field(name=_("Made by"), value=f"<@{video.user_id}>", inline=True)
            embed.add_field(name=_("Deleted by"), value=f"<@{by}>", inline=True)
            embed.set_footer(text=_("video {id}").format(id=video.video_id))
            return embed

        self._send(video.guild_id, build)
