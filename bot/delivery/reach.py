"""What the bot may do in a channel, from discord.py's cache, and what it lacks there in Discord's own words.

Discord answers a post without the permission it needs with a 403 that counts against the bot (its invalid-request
limit), drops embeds silently without Embed Links, and refuses what is left empty: so the bot looks before it
posts, and names what is missing to the people who can fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from bot.i18n import N_, _, listing

__all__ = ["PERMISSION_NAMES", "REQUEST_LIMIT", "Reach", "missing_names", "reach_in"]

# message.mdx, Create Message: "The maximum request size when sending a message is 25 MiB" (the files and the
# message around them), whatever larger file a server's boosts allow; a margin for the message itself
REQUEST_LIMIT = 25 * 1024 * 1024 - 256 * 1024

# Discord's names for these permissions, as its client shows them (the catalogs follow its zh-CN and zh-TW terms)
PERMISSION_NAMES = {
    "view_channel": N_("View Channels"),
    "send_messages": N_("Send Messages"),
    "send_messages_in_threads": N_("Send Messages in Threads"),
    "embed_links": N_("Embed Links"),
    "attach_files": N_("Attach Files"),
    "read_message_history": N_("Read Message History"),
    "add_reactions": N_("Add Reactions"),
    "create_private_threads": N_("Create Private Threads"),
}


@dataclass(frozen=True, slots=True)
class Reach:
    """The bot's permissions in one channel (None: the channel is not in the cache, so nothing is known)."""

    permissions: discord.Permissions | None
    thread: bool = False

    @property
    def known(self) -> bool:
        return self.permissions is not None

    def lacks(self, *names: str) -> list[str]:
        """Which of these permissions the bot lacks here (none when nothing is known: Discord will say)."""
        if self.permissions is None:
            return []
        return [name for name in names if not getattr(self.permissions, name)]

    def for_posting(self, *, embeds: bool = True, files: bool = False, reply: bool = False) -> list[str]:
        """What a message of the bot's here would need and the bot lacks."""
        needed = ["view_channel", "send_messages_in_threads" if self.thread else "send_messages"]
        needed += ["embed_links"] if embeds else []
        needed += ["attach_files"] if files else []
        needed += ["read_message_history"] if reply else []
        return self.lacks(*needed)

    @property
    def can_post(self) -> bool:
        return not self.for_posting(embeds=False)

    @property
    def can_embed(self) -> bool:
        return not self.lacks("embed_links")

    @property
    def can_attach(self) -> bool:
        return not self.lacks("attach_files")


def reach_in(bot: Any, guild_id: int | None, channel_id: int) -> Reach:
    """The bot's permissions in a channel of a server, as discord.py's cache knows them."""
    guild = bot.get_guild(guild_id) if guild_id is not None else None
    channel = guild.get_channel_or_thread(channel_id) if guild is not None else None
    if guild is None or channel is None or guild.me is None:
        return Reach(None)
    return Reach(channel.permissions_for(guild.me), thread=isinstance(channel, discord.Thread))


def missing_names(names: list[str]) -> str:
    """ "Send Messages and Embed Links": the missing permissions as the reader's Discord client names them."""
    return listing([_(PERMISSION_NAMES[name]) for name in names])
