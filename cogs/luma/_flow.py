"""The one path every video request takes from Discord: access rules, quota, defer, submit."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.access import access_refusal, is_exempt
from bot.jobs import NewJob
from bot.luma import VideoRequest
from bot.quota import QuotaExceeded
from bot.store import GuildSettings
from bot.ui import timestamp

if TYPE_CHECKING:
    from bot.app import LumaBot

log = logging.getLogger(__name__)


async def reply_privately(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer only the member: as the first response if still possible, else as a follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


def quota_sentence(exc: QuotaExceeded) -> str:
    text = exc.describe()
    if exc.frees_at is not None:
        text += f" You can make another video {timestamp(exc.frees_at)}."
    elif not exc.closed:
        text += " You can make another as soon as one in progress finishes."
    return text + " Nothing was charged."


def member_roles(member: discord.abc.User | discord.Member) -> list[int]:
    return [role.id for role in getattr(member, "roles", [])]


async def start_from_interaction(
    bot: LumaBot,
    interaction: discord.Interaction[Any],
    request: VideoRequest,
    *,
    parent_video_id: str | None = None,
    settings: GuildSettings | None = None,
) -> None:
    """Refuse privately, or defer publicly (well within Discord's 3 s), reserve + persist, and submit."""
    assert interaction.guild_id is not None and interaction.channel_id is not None
    settings = settings or await bot.guild_store.get(interaction.guild_id)
    roles = member_roles(interaction.user)
    refusal = access_refusal(
        settings, channel_id=interaction.channel_id, role_ids=roles, is_admin=interaction.permissions.manage_guild
    )
    if refusal:
        await reply_privately(interaction, refusal)
        return
    # Acknowledge first: Discord allows 3 s, and a busy database must not eat into them. The quota is
    # reserved right after; a refusal then removes the public "thinking…" and answers privately.
    callback = await interaction.response.defer(thinking=True)
    new = NewJob(
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        user_id=interaction.user.id,
        request=request,
        parent_video_id=parent_video_id,
        application_id=interaction.application_id,
        interaction_token=interaction.token,
        progress_message_id=callback.message_id if callback is not None else None,
        exempt=is_exempt(settings, roles),
    )
    try:
        job = await bot.jobs.accept(new)
    except QuotaExceeded as exc:
        await interaction.delete_original_response()
        await interaction.followup.send(quota_sentence(exc), ephemeral=True)
        return
    except Exception:
        # nothing was saved or charged; leave no public "thinking…" behind, then the error handler
        # tells the member privately
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()
        raise
    await bot.jobs.submit(job)


async def start_from_reply(bot: LumaBot, message: discord.Message, request: VideoRequest, parent_video_id: str) -> None:
    """A plain reply to a video: react at once, answer in the thread of replies."""
    assert message.guild is not None
    settings = await bot.guild_store.get(message.guild.id)
    roles = member_roles(message.author)
    perms = message.channel.permissions_for(message.author) if isinstance(message.author, discord.Member) else None
    refusal = access_refusal(
        settings, channel_id=message.channel.id, role_ids=roles, is_admin=bool(perms and perms.manage_guild)
    )
    if refusal:
        await message.reply(refusal, delete_after=30, mention_author=False)
        return
    new = NewJob(
        guild_id=message.guild.id,
        channel_id=message.channel.id,
        user_id=message.author.id,
        request=request,
        parent_video_id=parent_video_id,
        reply_to_message_id=message.id,
        exempt=is_exempt(settings, roles),
    )
    try:
        job = await bot.jobs.accept(new)
    except QuotaExceeded as exc:
        await message.reply(quota_sentence(exc), delete_after=30, mention_author=False)
        return
    try:
        await message.add_reaction("⏳")
    except discord.HTTPException as exc:
        log.info("could not react to a reply: %s", exc)
    await bot.jobs.submit(job)
