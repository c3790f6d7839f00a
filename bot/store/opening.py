"""Opening the bot's database, and taking its one-bot lock: the SQLite file, or PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.clock import Clock, system_clock
from bot.extras import needs_extra

from .db import Database, InstanceLock, load_migrations

__all__ = ["known_version", "open_database", "take_instance_lock"]


async def open_database(
    path: Path, url: str | None = None, *, clock: Clock = system_clock, upto: int | None = None
) -> Any:
    """Open the database, PostgreSQL at `url` when given, else SQLite at `path`, migrated to schema version `upto`
    (None: this code's latest; 0: left as it is). Raises SchemaTooNew for a database a newer luma-bot has used."""
    if url:
        postgres = needs_extra("postgres", "bot.store.postgres", "DATABASE_URL")
        chosen = postgres.load_postgres_migrations()[:upto] if upto is not None else None
        return await postgres.PostgresDatabase.open(url, clock=clock, migrations=chosen)
    return await Database.open(path, clock=clock, migrations=load_migrations()[:upto] if upto is not None else None)


async def take_instance_lock(path: Path, url: str | None = None, *, notice_within: float = 15.0) -> Any:
    """One bot per database: a flock beside the SQLite file, or PostgreSQL's session advisory lock (its keepalives
    sized from `notice_within`, STANDBY_TAKEOVER). AlreadyRunning when another process holds it."""
    if url:
        postgres = needs_extra("postgres", "bot.store.postgres", "DATABASE_URL")
        lock = postgres.PostgresInstanceLock(url, notice_within=notice_within)
        await lock.acquire()
        return lock
    lock = InstanceLock(path)
    lock.acquire()
    return lock


def known_version() -> int:
    """The schema version this code migrates to."""
    return max(m.version for m in load_migrations())
