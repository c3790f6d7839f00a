"""Quota tables: per-guild limit overrides and the reservations that are charged or refunded."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bot.clock import from_iso

from .db import Database, Tx

__all__ = ["QuotaStore", "Usage"]

_UNSET = object()


class Usage:
    """Counts that the limits are checked against (held and charged reservations; refunds don't count)."""

    __slots__ = ("guild_day", "guild_held", "guild_month", "member_day", "member_held", "member_last")

    def __init__(self) -> None:
        self.guild_day = self.guild_month = self.member_day = 0
        self.guild_held = self.member_held = 0
        self.member_last: datetime | None = None


class QuotaStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- limits ---------------------------------------------------------------------------------

    async def overrides(self, guild_id: int, tx: Tx | None = None) -> dict[str, int | None]:
        sql, params = "SELECT name, value FROM guild_limits WHERE guild_id = ?", (guild_id,)
        rows = await (tx or self.db).fetchall(sql, params)
        return {row["name"]: row["value"] for row in rows}

    async def set_override(self, tx: Tx, guild_id: int, name: str, value: int | None) -> None:
        await tx.execute(
            "INSERT INTO guild_limits (guild_id, name, value) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id, name) DO UPDATE SET value = excluded.value",
            (guild_id, name, value),
        )

    async def clear_override(self, tx: Tx, guild_id: int, name: str) -> None:
        await tx.execute("DELETE FROM guild_limits WHERE guild_id = ? AND name = ?", (guild_id, name))

    # --- usage ----------------------------------------------------------------------------------

    async def usage(self, tx: Tx | None, guild_id: int, user_id: int, day: str, month: str) -> Usage:
        """Every count the limits need, in one statement (one round trip inside the reservation)."""
        sql = (
            "SELECT"
            " (SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND day = ? AND state != 'refunded') AS guild_day,"
            " (SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND month = ? AND state != 'refunded')"
            "   AS guild_month,"
            " (SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND user_id = ? AND day = ?"
            "   AND state != 'refunded') AS member_day,"
            " (SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND state = 'held') AS guild_held,"
            " (SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND user_id = ? AND state = 'held')"
            "   AS member_held,"
            " (SELECT MAX(created_at) FROM reservations WHERE guild_id = ? AND user_id = ? AND state != 'refunded')"
            "   AS member_last"
        )
        params = (
            guild_id,
            day,
            guild_id,
            month,
            guild_id,
            user_id,
            day,
            guild_id,
            guild_id,
            user_id,
            guild_id,
            user_id,
        )
        row = await (tx or self.db).fetchone(sql, params)
        usage = Usage()
        if row is not None:
            usage.guild_day, usage.guild_month, usage.member_day = (
                row["guild_day"],
                row["guild_month"],
                row["member_day"],
            )
            usage.guild_held, usage.member_held = row["guild_held"], row["member_held"]
            usage.member_last = from_iso(row["member_last"]) if row["member_last"] else None
        return usage

    async def hold(self, tx: Tx, guild_id: int, user_id: int, job_id: str, day: str, month: str) -> None:
        await tx.execute(
            "INSERT INTO reservations (guild_id, user_id, job_id, state, day, month, created_at)"
            " VALUES (?, ?, ?, 'held', ?, ?, ?)",
            (guild_id, user_id, job_id, day, month, self.db.now()),
        )

    async def settle(
        self, tx: Tx, job_id: str, outcome: Literal["charged", "refunded"], *, from_refunded: bool = False
    ) -> bool:
        """Settle a held reservation; with `from_refunded`, also one refunded already (a video the API
        made after all, e.g. its callback came after the bot had given up on it: it was billed)."""
        changed = await tx.execute(
            "UPDATE reservations SET state = ?, settled_at = ? WHERE job_id = ?"
            " AND (state = 'held' OR (state = 'refunded' AND ?))",
            (outcome, self.db.now(), job_id, from_refunded),
        )
        return changed == 1

    async def release_orphans(self) -> int:
        """Refund held reservations whose job is no longer in flight (finished, failed or gone)."""
        return await self.db.execute(
            "UPDATE reservations SET state = 'refunded', settled_at = ? WHERE state = 'held' AND job_id NOT IN"
            " (SELECT id FROM jobs WHERE state IN ('queued', 'submitted'))",
            (self.db.now(),),
        )

    async def month_by_member(self, guild_id: int, month: str, limit: int = 25) -> list[tuple[int, int]]:
        rows = await self.db.fetchall(
            "SELECT user_id, COUNT(*) AS n FROM reservations WHERE guild_id = ? AND month = ?"
            " AND state != 'refunded' GROUP BY user_id ORDER BY n DESC, user_id LIMIT ?",
            (guild_id, month, limit),
        )
        return [(int(r["user_id"]), int(r["n"])) for r in rows]

    async def month_total(self, tx: Tx | None, month: str) -> int:
        """Videos charged or in progress this month across every server (what the owner pays for)."""
        row = await (tx or self.db).fetchone(
            "SELECT COUNT(*) AS n FROM reservations WHERE month = ? AND state != 'refunded'", (month,)
        )
        return int(row["n"]) if row else 0

    async def record_alert(self, tx: Tx, month: str, percent: int) -> bool:
        """Note that this month's alert at `percent` is being sent; False when it was already."""
        added = await tx.execute(
            "INSERT INTO budget_alerts (month, percent, sent_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (month, percent, self.db.now()),
        )
        return added == 1

    async def state_of(self, job_id: str) -> str | None:
        row = await self.db.fetchone("SELECT state FROM reservations WHERE job_id = ?", (job_id,))
        return row["state"] if row else None
