"""The moderators' log: every request's outcome (who, prompt, frames, the result), every refusal, every
admin change and every deleted result, posted to the channel a server's admins chose
(`/luma-admin settings mod_log_channel`). Best effort: a log that cannot be posted never holds up a member."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.media.links import jump_url
from bot.store import Job, Video
from bot.ui import COLOR_FAILED, COLOR_OK, COLOR_WORKING, failure_reason, plain, shorten

if TYPE_CHECKING:
    from bot.app import LumaBot

__all__ = ["ModLog"]

log = logging.getLogger(__name__)

COLOR_ADMIN = 0x2563EB
NONE = discord.AllowedMentions.none()  # the log names members; it never pings them


def _frames(job: Job) -> list[tuple[str, str]]:
    request = job.request
    fields = []
    for name, url in (("Start frame", request.start_image_url), ("End frame", request.end_image_url)):
        if url:
            fields.append((name, shorten(url, 1000)))
    return fields


class ModLog:
    def __init__(self, bot: LumaBot) -> None:
        self.bot = bot

    def _send(self, guild_id: int, embed: discord.Embed) -> None:
        """Post in the background: the member's answer never waits for the log."""
        self.bot.jobs.spawn(self._post(guild_id, embed), name=f"mod-log-{guild_id}")

    async def _post(self, guild_id: int, embed: discord.Embed) -> None:
        settings = await self.bot.guild_store.get(guild_id)
        if settings.mod_log_channel_id is None:
            return
        channel = self.bot.get_partial_messageable(settings.mod_log_channel_id, guild_id=guild_id)
        try:
            await channel.send(embed=embed, allowed_mentions=NONE)
        except discord.HTTPException as exc:
            log.warning("could not post to the mod log of guild %s (%s %s)", guild_id, exc.status, exc.text)

    # --- what is logged ---------------------------------------------------------------------------

    def job_ended(self, job: Job, video: Video | None, message: tuple[int, int] | None) -> None:
        """A request's outcome; `message` is (channel id, message id) of the posted result."""
        if video is not None:
            title, color = ("🎬 Video made" if job.action == "generate" else "🎬 Video extended"), COLOR_OK
        else:
            title, color = "❌ Video not made", COLOR_FAILED
        embed = discord.Embed(title=title, description=f">>> {plain(job.request.prompt, 3000)}", color=color)
        embed.add_field(name="Member", value=f"<@{job.user_id}>", inline=True)
        embed.add_field(name="Channel", value=f"<#{job.channel_id}>", inline=True)
        for name, value in _frames(job):
            embed.add_field(name=name, value=value, inline=False)
        if job.parent_video_id or job.request.video_id:
            embed.add_field(name="Extends", value=f"`{job.parent_video_id or job.request.video_id}`", inline=True)
        if video is not None:
            links = [f"[video]({self.bot.links.lasting(video)})"]
            if message is not None:
                links.insert(0, f"[message]({jump_url(job.guild_id, *message)})")
            embed.add_field(name="Result", value=" · ".join(links)[:1024], inline=False)
            embed.set_footer(text=f"video {video.video_id}")
        else:
            embed.add_field(name="Why", value=failure_reason(job.error_kind, job.error_message), inline=False)
        self._send(job.guild_id, embed)

    def refused(self, guild_id: int, user_id: int, channel_id: int, prompt: str, why: str) -> None:
        embed = discord.Embed(title="🚫 Request refused", description=f">>> {plain(prompt, 3000)}", color=COLOR_WORKING)
        embed.add_field(name="Member", value=f"<@{user_id}>", inline=True)
        embed.add_field(name="Channel", value=f"<#{channel_id}>", inline=True)
        embed.add_field(name="Why", value=shorten(why, 1000), inline=False)
        self._send(guild_id, embed)

    def admin_change(self, guild_id: int, actor_id: int, note: str) -> None:
        embed = discord.Embed(title="🛠️ Admin change", description=shorten(note, 3000), color=COLOR_ADMIN)
        embed.add_field(name="By", value=f"<@{actor_id}>", inline=True)
        self._send(guild_id, embed)

    def deleted(self, video: Video, by: int) -> None:
        embed = discord.Embed(
            title="🗑️ Result deleted", description=f">>> {plain(video.prompt, 3000)}", color=COLOR_ADMIN
        )
        embed.add_field(name="Made by", value=f"<@{video.user_id}>", inline=True)
        embed.add_field(name="Deleted by", value=f"<@{by}>", inline=True)
        embed.set_footer(text=f"video {video.video_id}")
        self._send(video.guild_id, embed)
