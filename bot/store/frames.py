"""The frames table: pictures members handed the bot from Discord, kept so a working link can be given later."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_iso

from .db import Database, Tx

__all__ = ["Frame", "FrameStore"]

_COLUMNS = "id, guild_id, url, attachment, ephemeral, content_type, created_at"


@dataclass(frozen=True, slots=True)
class Frame:
    id: str
    guild_id: int
    url: str  # the Discord link as given (signed: it expires)
    attachment: str  # the same link unsigned
    ephemeral: bool  # a file attached to a command: Discord removes it after a while
    content_type: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Frame:
        return cls(
            id=row["id"],
            guild_id=int(row["guild_id"]),
            url=row["url"],
            attachment=row["attachment"],
            ephemeral=bool(row["ephemeral"]),
            content_type=row["content_type"],
            created_at=from_iso(row["created_at"]),
        )


class FrameStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, tx: Tx, guild_id: int, url: str, attachment: str, *, ephemeral: bool, content_type: str | None
    ) -> Frame:
        """A new frame (its bytes are then due: the caller records the media row in the same transaction)."""
        frame_id = secrets.token_urlsafe(18)
        now = self.db.now()
        await tx.execute(
            f"INSERT INTO frames ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (frame_id, guild_id, url, attachment, int(ephemeral), content_type, now),
        )
        return Frame(frame_id, guild_id, url, attachment, ephemeral, content_type, from_iso(now))

    async def get(self, frame_id: str) -> Frame | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM frames WHERE id = ?", (frame_id,))
        return Frame.from_row(row) if row else None

    async def by_attachment(self, guild_id: int, attachment: str) -> Frame | None:
        """The newest frame of this server recorded for this (unsigned) Discord link."""
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM frames WHERE guild_id = ? AND attachment = ? ORDER BY created_at DESC LIMIT 1",
            (guild_id, attachment),
        )
        return Frame.from_row(row) if row else None
