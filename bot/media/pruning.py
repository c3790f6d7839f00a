"""Keeping the kept copies within MEDIA_MAX_GB: the oldest go first, never one kept moments ago (it may be on its
way to Discord). A pruned video keeps its history row and its Discord attachment; only the bot's copy goes."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.store import MediaStore

from .shelf import Shelf, ShelfError

__all__ = ["FRESH", "Pruner"]

log = logging.getLogger("bot.media.archive")

FRESH = 120.0  # seconds a just-kept file is safe from pruning
RECOUNT = 300.0  # seconds between counts of the kept bytes in the database; in between, the count is kept up here


class Pruner:
    def __init__(self, store: MediaStore, shelf: Shelf, max_total_bytes: int | None) -> None:
        self.store, self.shelf, self.max_total_bytes = store, shelf, max_total_bytes
        self.fresh_for = FRESH
        self._fresh: dict[str, float] = {}  # video ids kept moments ago: not pruned yet
        self._lock = asyncio.Lock()
        # the kept bytes as last counted, plus what was kept since (an over-estimate once files are deleted by
        # other paths, which only brings the next exact count forward): no scan of every kept row per new copy
        self._used: int | None = None
        self._counted_at = 0.0

    def just_kept(self, video_id: str) -> None:
        """A copy is being recorded: not pruned for a while (it may be on its way to Discord)."""
        self._fresh[video_id] = time.monotonic()

    def recorded(self, size: int) -> None:
        """A copy of `size` bytes is recorded as kept (added after the row exists: a count in between sees it
        and it is added again, which errs high and only brings the next count forward, never low)."""
        if self._used is not None:
            self._used += size

    async def over(self) -> bool:
        """Whether the kept copies may be over the cap: counted in the database when the estimate says so, or
        every RECOUNT seconds."""
        if self.max_total_bytes is None:
            return False
        now = time.monotonic()
        if self._used is None or now - self._counted_at > RECOUNT or self._used > self.max_total_bytes:
            _, self._used = await self.store.usage()
            self._counted_at = now
        return self._used > self.max_total_bytes

    async def prune(self) -> int:
        """Delete the oldest copies until the kept files fit in `max_total_bytes`; return how many went."""
        if not await self.over():
            return 0
        assert self.max_total_bytes is not None
        removed = 0
        async with self._lock:
            now = time.monotonic()
            self._fresh = {v: t for v, t in self._fresh.items() if now - t < self.fresh_for}
            _, used = await self.store.usage()
            while used > self.max_total_bytes:
                candidates = [f for f in await self.store.oldest_kept(100) if f.video_id not in self._fresh]
                if not candidates:
                    break
                for item in candidates:
                    if used <= self.max_total_bytes:
                        break
                    if item.path:
                        try:
                            await self.shelf.remove(item.path)
                        except ShelfError as exc:  # the bucket down: the row stays kept, pruned next time
                            log.warning("could not prune %s (%s)", item.path, exc)
                            return removed
                    await self.store.pruned(item.video_id, item.kind)
                    used -= item.bytes or 0
                    removed += 1
            self._used, self._counted_at = used, time.monotonic()
        if removed:
            log.info("pruned %d kept files to stay under MEDIA_MAX_GB", removed)
        return removed
