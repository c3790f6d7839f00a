"""Opening the bot's database: the SQLite file, or PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.clock import Clock, system_clock
from bot.extras import needs_extra

from .db import Database

__all__ = ["open_database"]


async def open_database(path: Path, url: str | None = None, *, clock: Clock = system_clock) -> Any:
    """Open (and migrate) the database: PostgreSQL at `url` when given, else SQLite at `path`."""
    if url:
        postgres = needs_extra("postgres", "bot.store.postgres", "DATABASE_URL")
        return await postgres.PostgresDatabase.open(url, clock=clock)
    return await Database.open(path, clock=clock)
