"""Where a private video goes when neither the interaction nor a DM can take it: a private thread the bot opens
beside the channel it was asked in, with only the member added. Discord layer.

threads.mdx: private threads "can only be created in GUILD_TEXT channels" and are seen only by their members and
moderators (Manage Threads); channel.mdx, Start Thread without Message and Add Thread Member.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.i18n import _
from bot.store import Job

from .responses import PERMANENT

__all__ = ["THREAD_NEEDS", "open_private_thread"]

log = logging.getLogger(__name__)

THREAD_NEEDS = ("view_channel", "create_private_threads", "send_messages_in_threads")


def _text_channel(client: Any, job: Job) -> discord.TextChannel | None:
    """The text channel to open the thread in: the job's, or the parent of the thread it was asked in."""
    guild = client.get_guild(job.guild_id)
    channel = guild.get_channel_or_thread(job.channel_id) if guild is not None else None
    if isinstance(channel, discord.Thread):
        channel = channel.parent
    return channel if isinstance(channel, discord.TextChannel) else None


async def open_private_thread(client: Any, job: Job, prompt: str) -> discord.Thread | None:
    """A new private thread with the member in it, or None when the channel does not allow one (nothing is tried
    that Discord would refuse: each refusal counts against the bot)."""
    channel = _text_channel(client, job)
    if channel is None or channel.guild.me is None:
        return None
    permissions = channel.permissions_for(channel.guild.me)
    if not all(getattr(permissions, name) for name in THREAD_NEEDS):
        log.info("no private thread for %r: the bot may not open one in its channel", job)
        return None
    name = _("🔒 Your video: {prompt}").format(prompt=" ".join(prompt.split()))
    try:
        thread = await channel.create_thread(
            name=name if len(name) <= 100 else name[:99] + "…",
            type=discord.ChannelType.private_thread,
            invitable=False,
            auto_archive_duration=1440,
        )
        await thread.add_user(discord.Object(job.user_id))
    except discord.HTTPException as exc:
        if exc.status not in PERMANENT:
            raise
        log.info("could not open a private thread for %r (%s)", job, exc.status)
        return None
    return thread
