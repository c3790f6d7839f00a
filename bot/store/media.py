"""The media table: the bot's own copy of each result file, from due to kept (or given up on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .db import Database

__all__ = ["MediaFile", "MediaStore"]

Kind = Literal["video", "thumbnail"]


@dataclass(frozen=True, slots=True)
class MediaFile:
    video_id: str
    kind: Kind
    source_url: str
    state: str
    path: str | None
    bytes: int | None
    tries: int


class MediaStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, video_id: str, files: dict[Kind, str]) -> None:
        """These files of a video are to be kept (a file already known is left as it is)."""
        async with self.db.transaction() as tx:
            for kind, url in files.items():
                await tx.execute(
                    "INSERT INTO media (video_id, kind, source_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (video_id, kind) DO NOTHING",
                    (video_id, kind, url, self.db.now(), self.db.now()),
                )

    async def pending(self) -> list[MediaFile]:
        rows = await self.db.fetchall(
            "SELECT video_id, kind, source_url, state, path, bytes, tries FROM media WHERE state = 'pending'"
            " ORDER BY created_at"
        )
        return [MediaFile(**dict(r)) for r in rows]

    async def of(self, video_id: str) -> list[MediaFile]:
        rows = await self.db.fetchall(
            "SELECT video_id, kind, source_url, state, path, bytes, tries FROM media WHERE video_id = ?"
            " ORDER BY kind DESC",
            (video_id,),
        )
        return [MediaFile(**dict(r)) for r in rows]

    async def kept(self, video_id: str, kind: Kind, path: str, size: int, tries: int) -> None:
        await self.db.execute(
            "UPDATE media SET state = 'kept', path = ?, bytes = ?, tries = ?, error = NULL, updated_at = ?"
            " WHERE video_id = ? AND kind = ?",
            (path, size, tries, self.db.now(), video_id, kind),
        )

    async def failed(self, video_id: str, kind: Kind, tries: int, error: str) -> None:
        await self.db.execute(
            "UPDATE media SET state = 'failed', tries = ?, error = ?, updated_at = ? WHERE video_id = ? AND kind = ?",
            (tries, error[:300], self.db.now(), video_id, kind),
        )

    async def usage(self) -> tuple[int, int]:
        """(files kept, bytes they take)."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM media WHERE state = 'kept'"
        )
        return (int(row["n"]), int(row["b"])) if row else (0, 0)
