"""Opening the bot's database: the SQLite file, or PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.clock import Clock, system_clock
from bot.extras import needs_extra

from .db import Database, load_migrations

__all__ = ["known_version", "open_database"]


async def open_database(
    path: Path, url: str | None = None, *, clock: Clock = system_clock, migrate: bool = True
) -> Any:
    """Open (and, unless told not to, migrate) the database: PostgreSQL at `url` when given, else SQLite at `path`.
    Raises SchemaTooNew for a database a newer luma-bot has used."""
    migrations = None if migrate else []
    if url:
        postgres = needs_extra("postgres", "bot.store.postgres", "DATABASE_URL")
        return await postgres.PostgresDatabase.open(url, clock=clock, migrations=migrations)
    return await Database.open(path, clock=clock, migrations=migrations)


def known_version() -> int:
    """The schema version this code migrates to."""
    return max(m.version for m in load_migrations())
