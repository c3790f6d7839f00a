"""Moving a bot across: every row of an SQLite database copied into an empty PostgreSQL one (history, quotas,
settings, the audit log, moderation, kept-file records, jobs in flight), in one PostgreSQL transaction, then
every table's count compared. The SQLite file is only read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .db import Database

if TYPE_CHECKING:
    from .postgres import PostgresDatabase

__all__ = [
    "TABLES",
    "NotEmpty",
    "TransferError",
    "TransferReport",
    "copy_database",
    "read_table",
    "verify_counts",
    "write_tables",
]

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
    "stars",
    "showcase",
)
SERIAL = ("audit_log", "reservations")  # their id sequences continue after the copied rows
BATCH = 1000


class TransferError(Exception):
    """The copy cannot be made or did not verify; the message says why (nothing was committed)."""


class NotEmpty(TransferError):
    """The target already holds data (in `table`)."""

    def __init__(self, table: str) -> None:
        self.table = table
        super().__init__(f"the target already holds data ({table}): use an empty database")


@dataclass(frozen=True, slots=True)
class TransferReport:
    counts: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


async def copy_database(source: Database, target: PostgresDatabase) -> TransferReport:
    if await source.schema_version() != await target.schema_version():
        raise TransferError("the two databases are at different schema versions: run this version of the bot on both")
    tables = {table: await read_table(source, table) for table in TABLES}
    return await write_tables(target, tables)


async def read_table(reader: Any, table: str) -> list[dict[str, Any]]:
    """Every row of one of TABLES, as plain dicts (from a database, or a snapshot of one)."""
    rows = await reader.fetchall(f"SELECT * FROM {table}")  # table names from TABLES, never input
    return [{key: row[key] for key in row.keys()} for row in rows]


async def write_tables(
    target: Any, tables: dict[str, list[dict[str, Any]]], *, replace: bool = False
) -> TransferReport:
    """Write these rows into an empty database at the same schema version, in one transaction, then compare every
    table's count with what was given (a difference keeps nothing): what migrate-db and restore both do. With
    `replace`, what the target holds is deleted first, in the same transaction."""
    postgres = getattr(target, "dialect", "sqlite") == "postgresql"
    async with target.transaction() as tx:
        if replace:
            for table in reversed(TABLES):
                if table in tables:
                    await tx.execute(f"DELETE FROM {table}")
        for table in ("jobs", "videos", "guild_settings", "audit_log"):
            row = await tx.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
            if row and row["n"]:
                raise NotEmpty(table)
        counts: dict[str, int] = {}
        for table in TABLES:
            if table not in tables:
                continue
            rows = tables[table]
            counts[table] = len(rows)
            if not rows:
                continue
            columns = list(rows[0])
            marks = ", ".join("?" for _ in columns)
            insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            values: list[Any] = [tuple(r[c] for c in columns) for r in rows]
            for start in range(0, len(values), BATCH):
                await tx.executemany(insert, values[start : start + BATCH])
        if postgres:
            for table in SERIAL:
                highest = f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1"
                await tx.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {highest}, false)")
        await verify_counts(tx, counts)
    if postgres:  # PostgreSQL plans by its statistics: read them now, not when autovacuum gets to the new rows
        await target.execute("ANALYZE")
    return TransferReport(counts)


async def verify_counts(reader: Any, counts: dict[str, int]) -> None:
    """Every table holds exactly the rows expected, else TransferError."""
    for table, expected in counts.items():
        row = await reader.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
        found = int(row["n"]) if row else 0
        if found != expected:
            raise TransferError(f"{table}: {expected} rows read but {found} written; nothing was kept")
