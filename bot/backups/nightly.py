"""The bot's own nightly backup (BACKUP_DIR, off by default): once a day after BACKUP_TIME (UTC), one archive of the
database as `luma-bot backup` writes it, the newest BACKUP_KEEP kept; each logged and counted (/metrics events
backup_ok, backup_failed); a failure told to the owner by DM once, until a backup works again. No Discord here."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from bot.clock import Clock, from_iso, iso

from .archive import write_backup

__all__ = ["CHECK_EVERY", "Nightly", "backup_name"]

log = logging.getLogger(__name__)

CHECK_EVERY = 60.0  # seconds between looks at whether the day's backup is due
LAST = "last_backup_at"  # the meta key: when the last backup was written


def backup_name(moment: datetime) -> str:
    return f"luma-bot-backup-{moment:%Y%m%d-%H%M%S}.tar.gz"


class Nightly:
    def __init__(
        self,
        db: Any,
        folder: Path,
        *,
        keep: int,
        at: time,
        clock: Clock,
        stats: Counter[str],
        tell_owner: Callable[[str], Awaitable[None]],
    ) -> None:
        self.db, self.folder, self.keep, self.at, self.clock = db, folder, keep, at, clock
        self.stats, self.tell_owner = stats, tell_owner
        self._failing = False

    def due(self, now: datetime, last: datetime | None) -> bool:
        """Due once the day's BACKUP_TIME has passed and no backup was written since."""
        mark = datetime.combine(now.date(), self.at, tzinfo=now.tzinfo)
        if now < mark:
            mark -= timedelta(days=1)
        return last is None or last < mark

    async def run(self) -> None:
        while True:
            last = await self.db.get_meta(LAST)
            if self.due(self.clock(), from_iso(last) if last else None):
                await self.once()
            await asyncio.sleep(CHECK_EVERY)

    async def once(self) -> Path | None:
        now = self.clock()
        dest = self.folder / backup_name(now)
        try:
            await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)
            made = await write_backup(self.db, dest, clock=self.clock)
            await self.db.set_meta(LAST, iso(now))
            removed = await asyncio.to_thread(self._prune)
        except Exception as exc:
            self.stats["backup_failed"] += 1
            log.error("the nightly backup into %s failed: %r", self.folder, exc)
            if not self._failing:
                self._failing = True
                await self.tell_owner(f"{type(exc).__name__}: {exc}")  # i18n: not text (the error's own words)
            return None
        self._failing = False
        self.stats["backup_ok"] += 1
        log.info("nightly backup: %s (%d rows; %d old ones removed)", dest, sum(made.counts.values()), removed)
        return dest

    def _prune(self) -> int:
        kept = sorted(self.folder.glob("luma-bot-backup-*.tar.gz"), reverse=True)  # i18n: not text (a pattern)
        for old in kept[self.keep :]:
            old.unlink(missing_ok=True)
        return max(0, len(kept) - self.keep)
