"""Quota tables: per-guild limit overrides and the reservations that are charged or refunded."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.clock import from_iso

from .db import Database, Tx

__all__ = ["Bonus", "QuotaStore", "Usage"]

_UNSET = object()


class Usage:
    """Counts that the limits are checked against (held and charged reservations; refunds don't count)."""

    __slots__ = (
        "guild_day", "guild_held", "guild_month", "member_day", "member_held", "member_last", "member_month"
    )  # fmt: skip

    def __init__(self) -> None:
        self.guild_day = self.guild_month = self.member_day = self.member_month = 0
        self.guild_held = self.member_held = 0
        self.member_last: datetime | None = None


@dataclass(frozen=True, slots=True)
class Bonus:
    """What is left of one grant of bonus videos."""

    grant_id: str
    amount: int
    left: int
    expires_at: datetime | None


class QuotaStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- limits ---------------------------------------------------------------------------------

    async def overrides(self, guild_id: int, tx: Tx | None = None) -> dict[str, int | None]:
        return (await self.limit_rows(guild_id, (), tx))[0]

    async def limit_rows(
        self, guild_id: int, role_ids: Collection[int], tx: Tx | None = None
    ) -> tuple[dict[str, int | None], dict[int, dict[str, int | None]]]:
        """The server's own limits, and the tiers among these roles, in one round trip (it is on every request)."""
        sql = "SELECT 0 AS role_id, name, value FROM guild_limits WHERE guild_id = ?"
        params: list[object] = [guild_id]
        if role_ids:
            sql += " UNION ALL SELECT role_id, name, value FROM role_limits WHERE guild_id = ?"
            sql += f" AND role_id IN ({', '.join('?' for _ in role_ids)})"
            params += [guild_id, *role_ids]
        server: dict[str, int | None] = {}
        tiers: dict[int, dict[str, int | None]] = {}
        for row in await (tx or self.db).fetchall(sql, params):
            role = int(row["role_id"])
            (tiers.setdefault(role, {}) if role else server)[row["name"]] = row["value"]
        return server, tiers

    async def set_override(self, tx: Tx, guild_id: int, name: str, value: int | None) -> None:
        await tx.execute(
            "INSERT INTO guild_limits (guild_id, name, value) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id, name) DO UPDATE SET value = excluded.value",
            (guild_id, name, value),
        )

    async def clear_override(self, tx: Tx, guild_id: int, name: str) -> None:
        await tx.execute("DELETE FROM guild_limits WHERE guild_id = ? AND name = ?", (guild_id, name))

    # --- role tiers --------------------------------------------------------------------------------

    async def tiers(self, guild_id: int) -> dict[int, dict[str, int | None]]:
        """Every tiered role of the server -> its own limits (name -> value, None: no limit). A member's own tiers
        are read with the server's limits, in one query (`limit_rows`)."""
        sql = "SELECT role_id, name, value FROM role_limits WHERE guild_id = ?"
        tiers: dict[int, dict[str, int | None]] = {}
        for row in await self.db.fetchall(sql, (guild_id,)):
            tiers.setdefault(int(row["role_id"]), {})[row["name"]] = row["value"]
        return tiers

    async def set_tier(self, tx: Tx, guild_id: int, role_id: int, name: str, value: int | None) -> None:
        await tx.execute(
            "INSERT INTO role_limits (guild_id, role_id, name, value) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (guild_id, role_id, name) DO UPDATE SET value = excluded.value",
            (guild_id, role_id, name, value),
        )

    async def clear_tier(self, tx: Tx, guild_id: int, role_id: int, name: str | None = None) -> int:
        """Take one limit back to the server's, or (without `name`) the whole tier away."""
        if name is not None:
            return await tx.execute(
                "DELETE FROM role_limits WHERE guild_id = ? AND role_id = ? AND name = ?", (guild_id, role_id, name)
            )
        return await tx.execute("DELETE FROM role_limits WHERE guild_id = ? AND role_id = ?", (guild_id, role_id))

    # --- grants of bonus videos ---------------------------------------------------------------------

    async def add_grant(
        self, tx: Tx, guild_id: int, user_id: int, amount: int, expires_at: str | None, granted_by: int
    ) -> str:
        grant_id = secrets.token_urlsafe(12)
        await tx.execute(
            "INSERT INTO grants (id, guild_id, user_id, amount, expires_at, granted_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (grant_id, guild_id, user_id, amount, expires_at, granted_by, self.db.now()),
        )
        return grant_id

    async def bonus(self, tx: Tx | None, guild_id: int, user_id: int) -> list[Bonus]:
        """The member's grants that still have videos left and have not expired, the soonest to expire first."""
        rows = await (tx or self.db).fetchall(
            "SELECT g.id, g.amount, g.expires_at,"
            " (SELECT COUNT(*) FROM reservations r WHERE r.grant_id = g.id AND r.state != 'refunded') AS used"
            " FROM grants g WHERE g.guild_id = ? AND g.user_id = ? AND (g.expires_at IS NULL OR g.expires_at > ?)"
            " ORDER BY g.expires_at IS NULL, g.expires_at, g.created_at",
            (guild_id, user_id, self.db.now()),
        )
        found = []
        for r in rows:
            expires = from_iso(r["expires_at"]) if r["expires_at"] else None
            found.append(Bonus(r["id"], int(r["amount"]), int(r["amount"]) - int(r["used"]), expires))
        return [b for b in found if b.left > 0]

    # --- usage ----------------------------------------------------------------------------------

    async def usage(
        self, tx: Tx | None, guild_id: int, user_id: int, day: str, month: str, *, monthly: bool = False
    ) -> Usage:
        """Every count the limits need, in one statement (one round trip inside the reservation). A member's day and
        month count their own allowance only: what a grant paid for is counted against the grant. The member's month
        is counted only when asked (`monthly`: a member monthly limit is set); else it reads 0."""
        member_month = (
            "(SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND user_id = ? AND month = ?"
            " AND state != 'refunded' AND grant_id IS NULL)"
            if monthly
            else "0"
        )
        sql = (
            "SELECT"
            " (SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND day = ? AND state != 'refunded') AS guild_day,"
            " (SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND month = ? AND state != 'refunded')"
            "   AS guild_month,"
            " (SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND user_id = ? AND day = ?"
            "   AND state != 'refunded' AND grant_id IS NULL) AS member_day,"
            f" {member_month} AS member_month,"
            " (SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND state = 'held') AS guild_held,"
            " (SELECT COUNT(*) FROM reservations WHERE guild_id = ? AND user_id = ? AND state = 'held')"
            "   AS member_held,"
            " (SELECT MAX(created_at) FROM reservations WHERE guild_id = ? AND user_id = ? AND state != 'refunded')"
            "   AS member_last"
        )
        params = [guild_id, day, guild_id, month, guild_id, user_id, day]
        params += [guild_id, user_id, month] if monthly else []
        params += [guild_id, guild_id, user_id, guild_id, user_id]
        row = await (tx or self.db).fetchone(sql, params)
        usage = Usage()
        if row is not None:
            usage.guild_day, usage.guild_month, usage.member_day = (
                row["guild_day"],
                row["guild_month"],
                row["member_day"],
            )
            usage.member_month = row["member_month"]
            usage.guild_held, usage.member_held = row["guild_held"], row["member_held"]
            usage.member_last = from_iso(row["member_last"]) if row["member_last"] else None
        return usage

    async def hold(
        self, tx: Tx, guild_id: int, user_id: int, job_id: str, day: str, month: str, grant_id: str | None = None
    ) -> None:
        await tx.execute(
            "INSERT INTO reservations (guild_id, user_id, job_id, state, day, month, created_at, grant_id)"
            " VALUES (?, ?, ?, 'held', ?, ?, ?, ?)",
            (guild_id, user_id, job_id, day, month, self.db.now(), grant_id),
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
