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


class Pruner:
    def __init__(self, store: MediaStore, shelf: Shelf, max_total_bytes: int | None) -> None:
        self.store, self.shelf, self.max_total_bytes = store, shelf, max_total_bytes
        self.fresh_for = FRESH
        self._fresh: dict[str, float] = {}  # video ids kept moments ago: not pruned yet
        self._lock = asyncio.Lock()

    def just_kept(self, video_id: str) -> None:
        self._fresh[video_id] = time.monotonic()

    async def prune(self) -> int:
        """Delete the oldest copies until the kept files fit in `max_total_bytes`; return how many went."""
        if self.max_total_bytes is None:
            return 0
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
        if removed:
            log.info("pruned %d kept files to stay under MEDIA_MAX_GB", removed)
        return removed
