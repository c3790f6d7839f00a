"""The media table: the bot's own copy of each result file, from due to kept (or given up on, or pruned)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .db import Database, Tx

__all__ = ["MediaFile", "MediaStore"]

Kind = Literal["video", "thumbnail", "frame"]  # a frame's row is keyed by the frame's id (bot/store/frames.py)
_COLUMNS = "video_id, kind, source_url, state, path, bytes, tries"


@dataclass(frozen=True, slots=True)
class MediaFile:
    video_id: str
    kind: Kind
    source_url: str
    state: str  # pending | kept | failed | pruned
    path: str | None
    bytes: int | None
    tries: int


class MediaStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, tx: Tx, video_id: str, files: dict[Kind, str]) -> None:
        """These files of a video are to be kept (a file already known is left as it is). Written in the
        transaction that records the video, so a crash right after cannot lose the copy."""
        for kind, url in files.items():
            await tx.execute(
                "INSERT INTO media (video_id, kind, source_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (video_id, kind) DO NOTHING",
                (video_id, kind, url, self.db.now(), self.db.now()),
            )

    async def pending(self) -> list[MediaFile]:
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM media WHERE state = 'pending' ORDER BY created_at")
        return [MediaFile(**dict(r)) for r in rows]

    async def of(self, video_id: str) -> list[MediaFile]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM media WHERE video_id = ? ORDER BY kind DESC", (video_id,)
        )
        return [MediaFile(**dict(r)) for r in rows]

    async def kept_among(self, video_ids: list[str]) -> set[tuple[str, str]]:
        """(video, kind) of these videos' copies that are kept: what a page of the gallery may serve itself."""
        if not video_ids:
            return set()
        marks = ", ".join("?" for _ in video_ids)
        rows = await self.db.fetchall(
            f"SELECT video_id, kind FROM media WHERE video_id IN ({marks}) AND state = 'kept'", video_ids
        )
        return {(r["video_id"], r["kind"]) for r in rows}

    async def kept(self, video_id: str, kind: Kind, path: str, size: int, tries: int) -> bool:
        """The file is kept at `path`; False when the row is no longer pending (its video was deleted while the
        copy was on its way): then nothing is written and the copy is not wanted."""
        changed = await self.db.execute(
            "UPDATE media SET state = 'kept', path = ?, bytes = ?, tries = ?, error = NULL, updated_at = ?"
            " WHERE video_id = ? AND kind = ? AND state = 'pending'",
            (path, size, tries, self.db.now(), video_id, kind),
        )
        return changed == 1

    async def is_kept(self, video_id: str, kind: Kind) -> bool:
        """Whether the bot keeps this file now (and so serves it)."""
        row = await self.db.fetchone(
            "SELECT 1 AS kept FROM media WHERE video_id = ? AND kind = ? AND state = 'kept'", (video_id, kind)
        )
        return row is not None

    async def tried(self, video_id: str, kind: Kind, tries: int, error: str, *, final: bool) -> None:
        """A try that did not keep the file: given up on (`final`), or still pending for a later sweep."""
        await self.db.execute(
            "UPDATE media SET state = CASE WHEN ? THEN 'failed' ELSE state END, tries = ?, error = ?,"
            " updated_at = ? WHERE video_id = ? AND kind = ?",
            (final, tries, error[:300], self.db.now(), video_id, kind),
        )

    async def oldest_kept(self, limit: int = 50) -> list[MediaFile]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM media WHERE state = 'kept' ORDER BY created_at, video_id LIMIT ?", (limit,)
        )
        return [MediaFile(**dict(r)) for r in rows]

    async def kept_elsewhere(self, prefix: str) -> list[MediaFile]:
        """The kept files whose location does not start with `prefix` (on the disk, when moving to a bucket)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM media WHERE state = 'kept' AND path IS NOT NULL AND path NOT LIKE ?"
            " ORDER BY created_at, video_id",
            (prefix + "%",),
        )
        return [MediaFile(**dict(r)) for r in rows]

    async def moved(self, item: MediaFile, location: str) -> bool:
        """The file is now at `location`; False when its row changed meanwhile (pruned or deleted by a bot
        that kept running), and then nothing is written."""
        changed = await self.db.execute(
            "UPDATE media SET path = ?, updated_at = ? WHERE video_id = ? AND kind = ? AND state = 'kept' AND path = ?",
            (location, self.db.now(), item.video_id, item.kind, item.path),
        )
        return changed == 1

    async def pruned(self, video_id: str, kind: Kind) -> None:
        await self.db.execute(
            "UPDATE media SET state = 'pruned', path = NULL, updated_at = ? WHERE video_id = ? AND kind = ?",
            (self.db.now(), video_id, kind),
        )

    async def usage(self) -> tuple[int, int]:
        """(files kept, bytes they take)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM media WHERE state = 'kept'"
        )
        return (int(row["n"]), int(row["b"])) if row else (0, 0)
