"""Moving the copies kept on the disk into the bucket (`luma-bot migrate-media`), for an owner who moves the bot
to a host without a lasting disk. No Discord here.

Each kept file still on the disk is uploaded under the same name the bot gives new copies, then its row points
at the bucket (only if the row is as it was read: a file pruned or deleted meanwhile is not brought back). A
file no longer on the disk is counted and left as it is: its served link already leads to the Discord message
or the API's link. The disk files stay; the owner removes them once satisfied.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from bot.store import MediaStore

from .archive import Archiver
from .shelf import S3_LOCATION, Shelf, ShelfError

__all__ = ["MoveReport", "move_to_shelf"]


@dataclass
class MoveReport:
    moved: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)  # kept rows whose file is not on the disk
    failed: list[str] = field(default_factory=list)  # uploads the bucket refused (run again later)


async def move_to_shelf(store: MediaStore, shelf: Shelf) -> MoveReport:
    report = MoveReport()
    for item in await store.kept_elsewhere(S3_LOCATION):
        path = Path(item.path or "")
        if not await asyncio.to_thread(path.is_file):
            report.missing.append(str(path))
            continue
        try:
            location = await shelf.put(path, Archiver.name(item))
        except ShelfError as exc:
            report.failed.append(f"{path}: {exc}")
            continue
        if await store.moved(item, location):
            report.moved += 1
            report.bytes += item.bytes or 0
        else:  # pruned or deleted meanwhile by a running bot: not brought back
            with contextlib.suppress(ShelfError):
                await shelf.remove(location)
    return report
