"""Moving a bot across: every row of an SQLite database copied into an empty PostgreSQL one (history, quotas,
settings, the audit log, moderation, kept-file records, jobs in flight), in one PostgreSQL transaction, then
every table's count compared. The SQLite file is only read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .db import Database
from .postgres import PostgresDatabase

__all__ = ["TransferError", "TransferReport", "copy_database"]

# parents before children (foreign keys); schema_migrations is the target's own
TABLES = (
    "meta",
    "guild_settings",
    "guild_limits",
    "audit_log",
    "jobs",
    "videos",
    "reservations",
    "media",
    "frames",
    "blocked_terms",
    "member_blocks",
    "budget_alerts",
    "channel_problems",
    "member_prefs",
    "role_limits",
    "grants",
)
SERIAL = ("audit_log", "reservations")  # their id sequences continue after the copied rows
BATCH = 1000


class TransferError(Exception):
    """The copy cannot be made or did not verify; the message says why (nothing was committed)."""


@dataclass(frozen=True, slots=True)
class TransferReport:
    counts: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


async def copy_database(source: Database, target: PostgresDatabase) -> TransferReport:
    if await source.schema_version() != await target.schema_version():
        raise TransferError("the two databases are at different schema versions: run this version of the bot on both")
    async with target.transaction() as tx:
        for table in ("jobs", "videos", "guild_settings", "audit_log"):
            row = await tx.fetchone(f"SELECT COUNT(*) AS n FROM {table}")  # table names from TABLES, never input
            if row and row["n"]:
                raise TransferError(f"the target already holds data ({table}): migrate into an empty database")
        counts: dict[str, int] = {}
        for table in TABLES:
            rows = await source.fetchall(f"SELECT * FROM {table}")
            counts[table] = len(rows)
            if not rows:
                continue
            columns = list(rows[0].keys())
            marks = ", ".join("?" for _ in columns)
            insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            values: list[Any] = [tuple(r[c] for c in columns) for r in rows]
            for start in range(0, len(values), BATCH):
                await tx.executemany(insert, values[start : start + BATCH])
        for table in SERIAL:
            highest = f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1"
            await tx.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {highest}, false)")
        for table in TABLES:
            row = await tx.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
            copied = int(row["n"]) if row else 0
            if copied != counts[table]:
                raise TransferError(f"{table}: {counts[table]} rows read but {copied} written; nothing was kept")
    return TransferReport(counts)
