"""Members' and servers' names for the web gallery (bot/gallery/pages.py's People): the bot's cache first, then
Discord's Get Guild Member for a name it lacks (no privileged intent needed), remembered for the run. Discord layer."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

import discord

__all__ = ["DiscordPeople"]

log = logging.getLogger(__name__)

REMEMBERED = 10_000  # names kept for the run (oldest forgotten first)
LOOKUPS = 10  # members asked of Discord for one page at most (the rest show their id until the next page)


class DiscordPeople:
    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._names: OrderedDict[tuple[int, int], str] = OrderedDict()

    def server_name(self, guild_id: int) -> str | None:
        guild = self.client.get_guild(guild_id)
        return guild.name if guild is not None else None

    async def names(self, guild_id: int, user_ids: set[int]) -> dict[int, str]:
        guild = self.client.get_guild(guild_id)
        found: dict[int, str] = {}
        unknown = []
        for user_id in sorted(user_ids):
            member = guild.get_member(user_id) if guild is not None else None
            if member is not None:
                found[user_id] = member.display_name
            elif (name := self._names.get((guild_id, user_id))) is not None:
                found[user_id] = name
            else:
                unknown.append(user_id)
        if guild is not None and unknown:
            looked = await asyncio.gather(*(self._ask(guild, u) for u in unknown[:LOOKUPS]))
            found.update({u: n for u, n in zip(unknown, looked, strict=False) if n is not None})
        return found

    async def _ask(self, guild: discord.Guild, user_id: int) -> str | None:
        try:
            member = await guild.fetch_member(user_id)
            name = member.display_name
        except discord.NotFound:
            name = None  # left the server: their id stands in
        except discord.HTTPException as exc:
            log.info("could not read the name of member %s (%s)", user_id, exc.status)
            return None
        self._names[(guild.id, user_id)] = name or str(user_id)
        if len(self._names) > REMEMBERED:
            self._names.popitem(last=False)
        return name
