"""Stars in, showcase posts out. No Discord here: the Discord side is a `Board` (bot/delivery/showcase.py).

A ⭐ on a result's message, from a member other than its requester, is one star (a set per video: a duplicate event
changes nothing). When a result reaches its server's threshold the stars are read again from Discord (the truth,
whatever order the events came in), and if they still reach it the result is claimed in the database (once, ever)
and posted to the showcase channel with a nonce (a retry after a stop returns the same message). The count on the
post follows the stars, edited at most once per `edit_delay`. A deleted or removed result's post is deleted and the
result never comes back. At start, what was claimed but not recorded as sent is sent again, and the stars of recent
results are read again from Discord (the bot may have been away while they came in).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Protocol

from bot.clock import Clock, iso
from bot.store import GuildStore, Showcased, StarStore, Video, VideoStore

__all__ = ["STAR", "Board", "Showcase"]

log = logging.getLogger(__name__)

STAR = "⭐"
RECOUNT_LIMIT = 500  # results read again at start, newest first, across the servers with a showcase


class Board(Protocol):
    """The showcase channel, as Discord has it."""

    async def post(self, channel_id: int, video: Video, stars: int, nonce: str) -> tuple[int, bool] | None:
        """Post the result: its message id and whether the file went with it; None when the channel refuses it for
        good."""

    async def edit(self, channel_id: int, message_id: int, video: Video, stars: int, attached: bool) -> None: ...

    async def delete(self, channel_id: int, message_id: int) -> None: ...

    async def stargazers(self, channel_id: int, message_id: int) -> set[int] | None:
        """Who reacted ⭐ to a message (people, not bots); None when it cannot be read (gone, no access)."""

    def age_restricted(self, channel_id: int) -> bool:
        """Whether the showcase channel is age-restricted (a video made in such a channel may go there only then)."""


Spawn = Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]]


def nonce_of(video_id: str) -> str:
    """One nonce per showcased result (at most 25 characters): a retry is the same message."""
    return f"s-{video_id[:23]}"


class Showcase:
    def __init__(
        self,
        videos: VideoStore,
        stars: StarStore,
        guilds: GuildStore,
        board: Board,
        spawn: Spawn,
        *,
        default_stars: int = 3,
        edit_delay: float = 5.0,
        recount_hours: float = 48.0,
        clock: Clock,
    ) -> None:
        self.videos = videos
        self.stars = stars
        self.guilds = guilds
        self.board = board
        self.spawn = spawn
        self.default_stars = default_stars
        self.edit_delay = edit_delay
        self.recount_hours = recount_hours
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._edits: dict[str, asyncio.Task[Any]] = {}  # the one task editing each post's count
        self._dirty: set[str] = set()  # posts whose stars changed since their task last read them

    # --- events ------------------------------------------------------------------------------------------------

    async def starred(self, guild_id: int, message_id: int, user_id: int) -> None:
        video = await self.videos.by_message(guild_id, message_id)
        if video is None or user_id == video.user_id:
            return
        await self._settle(video, await self.stars.star(video.video_id, user_id))

    async def unstarred(self, guild_id: int, message_id: int, user_id: int | None = None) -> None:
        """A member took their star back (None: the stars were cleared from the message)."""
        video = await self.videos.by_message(guild_id, message_id)
        if video is None:
            return
        count = await self.stars.unstar(video.video_id, user_id)
        await self._settle(video, count)

    async def deleted(self, video: Video, by: int) -> None:
        """Its result was deleted: the showcase post goes too, and it never comes back."""
        await self._take_down(video, by)

    async def remove(self, guild_id: int, video_id: str, by: int) -> bool:
        """An admin takes a result out of the showcase (for good). Whether it had a post."""
        video = await self.videos.get(guild_id, video_id)
        if video is None:
            return False
        return await self._take_down(video, by)

    # --- deciding ------------------------------------------------------------------------------------------------

    async def _settle(self, video: Video, count: int) -> None:
        entry = await self.stars.get(video.video_id)
        if entry is not None:
            if entry.state == "posted":
                self._edit_soon(video.video_id)
            return
        settings = await self.guilds.get(video.guild_id)
        channel = settings.showcase_channel_id
        needed = settings.showcase_stars or self.default_stars
        if channel is None or count < needed or not self._eligible(video, channel):
            return
        async with self._locks.setdefault(video.video_id, asyncio.Lock()):
            try:
                await self._cross(video, channel, needed)
            finally:
                self._locks.pop(video.video_id, None)

    def _eligible(self, video: Video, channel_id: int) -> bool:
        """Private, spoilered and deleted results are never showcased; an age-restricted channel's only in one."""
        if video.private or video.spoiler or video.deleted_at is not None:
            return False
        return not video.age_restricted or self.board.age_restricted(channel_id)

    async def _cross(self, video: Video, channel_id: int, needed: int) -> None:
        """It reached the threshold by the events: read the stars from Discord, and post once if they hold."""
        if await self.stars.get(video.video_id) is not None or video.message_channel_id is None:
            return
        assert video.message_id is not None
        people = await self.board.stargazers(video.message_channel_id, video.message_id)
        if people is None:
            return
        count = await self.stars.recount(video.video_id, people - {video.user_id})
        if count < needed or not await self.stars.claim(video.video_id, video.guild_id, channel_id):
            return
        await self._send(Showcased(video.video_id, video.guild_id, channel_id, None, "posting", 0), video, count)

    async def _send(self, entry: Showcased, video: Video, count: int) -> None:
        sent = await self.board.post(entry.channel_id, video, count, nonce_of(video.video_id))
        if sent is None:
            await self.stars.unclaim(video.video_id)  # the channel is gone or closed to the bot: a later star tries
            return
        message_id, attached = sent
        if not await self.stars.posted(video.video_id, message_id, count, attached):  # removed while it was being sent
            await self.board.delete(entry.channel_id, message_id)
            return
        log.info("showcased %s with %d stars", video.video_id, count)
        self._edit_soon(video.video_id)  # stars that came in while it was being sent

    def _edit_soon(self, video_id: str) -> None:
        """The count on its post, once the reactions settle: one task per post edits it (so two edits never cross),
        at most once per `edit_delay`, and goes on while stars keep changing."""
        self._dirty.add(video_id)
        if video_id not in self._edits:
            self._edits[video_id] = self.spawn(self._edit_later(video_id), f"showcase-edit-{video_id}")

    async def _edit_later(self, video_id: str) -> None:
        try:
            while video_id in self._dirty:
                await asyncio.sleep(self.edit_delay)
                self._dirty.discard(video_id)  # a star from here on asks for another round
                await self._edit(video_id)
        finally:
            self._edits.pop(video_id, None)

    async def _edit(self, video_id: str) -> None:
        entry = await self.stars.get(video_id)
        if entry is None or entry.state != "posted" or entry.message_id is None:
            return
        video = await self.videos.get(entry.guild_id, video_id)
        if video is None or video.stars == entry.stars_shown:
            return
        await self.board.edit(entry.channel_id, entry.message_id, video, video.stars, bool(entry.attached))
        await self.stars.shown(video_id, video.stars)

    async def _take_down(self, video: Video, by: int) -> bool:
        entry = await self.stars.remove(video.video_id, by, video.guild_id)
        if entry is None or entry.message_id is None:
            return False
        await self.board.delete(entry.channel_id, entry.message_id)
        return True

    # --- at start --------------------------------------------------------------------------------------------

    async def catch_up(self, guild_ids: list[int]) -> int:
        """Send what was claimed but not recorded as sent, then read again the stars of recent results in these
        servers (those with a showcase) and settle each. Returns the results read again."""
        for entry in await self.stars.unsent():
            video = await self.videos.get(entry.guild_id, entry.video_id)
            if video is not None:
                await self._send(entry, video, video.stars)
        since = iso(self.clock() - timedelta(hours=self.recount_hours))
        recent = await self.videos.recent_results(guild_ids, since, RECOUNT_LIMIT)
        for video in recent:
            assert video.message_channel_id is not None and video.message_id is not None
            people = await self.board.stargazers(video.message_channel_id, video.message_id)
            if people is not None:
                await self._settle(video, await self.stars.recount(video.video_id, people - {video.user_id}))
        return len(recent)

    async def stop(self) -> None:
        """The pending edits are dropped: the next start's recount makes them."""
        for task in list(self._edits.values()):
            task.cancel()
        await asyncio.gather(*self._edits.values(), return_exceptions=True)
