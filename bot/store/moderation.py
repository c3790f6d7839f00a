"""Moderation tables: each server's blocked terms and blocked members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_iso, iso

from .db import Database, Tx

__all__ = ["MemberBlock", "ModerationStore"]


@dataclass(frozen=True, slots=True)
class MemberBlock:
    guild_id: int
    user_id: int
    reason: str | None
    until: datetime | None  # None: until a moderator unblocks
    blocked_by: int
    created_at: datetime

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until


class ModerationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- blocked terms --------------------------------------------------------------------------

    async def terms(self, guild_id: int) -> list[str]:
        rows = await self.db.fetchall("SELECT term FROM blocked_terms WHERE guild_id = ? ORDER BY term", (guild_id,))
        return [r["term"] for r in rows]

    async def add_term(self, tx: Tx, guild_id: int, term: str, user_id: int) -> bool:
        added = await tx.execute(
            "INSERT INTO blocked_terms (guild_id, term, added_by, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (guild_id, term, user_id, self.db.now()),
        )
        return added == 1

    async def remove_term(self, tx: Tx, guild_id: int, term: str) -> bool:
        removed = await tx.execute("DELETE FROM blocked_terms WHERE guild_id = ? AND term = ?", (guild_id, term))
        return removed == 1

    async def count_terms(self, tx: Tx, guild_id: int) -> int:
        row = await tx.fetchone("SELECT COUNT(*) AS n FROM blocked_terms WHERE guild_id = ?", (guild_id,))
        return int(row["n"]) if row else 0

    # --- blocked members ------------------------------------------------------------------------

    @staticmethod
    def _block(row: aiosqlite.Row) -> MemberBlock:
        return MemberBlock(
            guild_id=row["guild_id"],
            user_id=row["user_id"],
            reason=row["reason"],
            until=from_iso(row["until"]) if row["until"] else None,
            blocked_by=row["blocked_by"],
            created_at=from_iso(row["created_at"]),
        )

    async def blocks(self, guild_id: int) -> list[MemberBlock]:
        rows = await self.db.fetchall(
            "SELECT guild_id, user_id, reason, until, blocked_by, created_at FROM member_blocks WHERE guild_id = ?"
            " ORDER BY created_at DESC",
            (guild_id,),
        )
        return [self._block(r) for r in rows]

    async def block(
        self, tx: Tx, guild_id: int, user_id: int, reason: str | None, until: datetime | None, by: int
    ) -> None:
        await tx.execute(
            "INSERT INTO member_blocks (guild_id, user_id, reason, until, blocked_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET reason = excluded.reason,"
            " until = excluded.until, blocked_by = excluded.blocked_by, created_at = excluded.created_at",
            (guild_id, user_id, reason, iso(until) if until else None, by, self.db.now()),
        )

    async def unblock(self, tx: Tx, guild_id: int, user_id: int) -> bool:
        removed = await tx.execute("DELETE FROM member_blocks WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
        return removed == 1
