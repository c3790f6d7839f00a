"""What the bot opens before anything else, and closes last: the one-bot lock, the database, the HTTP sessions and
the shelf of kept copies. A problem here is one sentence for the owner (StartupError), never a traceback."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.clock import Clock
from bot.config import Settings
from bot.media import Shelf, ShelfError, open_shelf
from bot.media.destinations import Destinations
from bot.store import AlreadyRunning, Database
from bot.store.db import SchemaTooNew
from bot.store.opening import open_database, take_instance_lock

from .standby import take_over

__all__ = ["Resources", "StartupError", "open_resources"]

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Start-up cannot go on; the message says what the owner should change."""


@dataclass
class Resources:
    lock: Any  # InstanceLock (SQLite) or PostgresInstanceLock
    db: Database | None = None
    session: aiohttp.ClientSession | None = None  # the API and Discord's own REST
    media_session: aiohttp.ClientSession | None = None  # downloads of given links: public addresses only
    destinations: Destinations | None = None
    shelf: Shelf | None = None
    watch: asyncio.Task[None] | None = None  # keeps PostgreSQL's one-bot lock (store/postgres.py)

    async def close(self) -> None:
        """Last of all: the sessions, the shelf, the database, then the lock."""
        if self.shelf is not None:
            await self.shelf.close()
        for session in (self.session, self.media_session):
            if session is not None:
                await session.close()
        if self.db is not None:
            await self.db.close()
        if self.watch is not None:
            self.watch.cancel()
            await asyncio.gather(self.watch, return_exceptions=True)
        released = self.lock.release()
        if released is not None:  # PostgreSQL's lock is released over its connection
            await released


async def open_resources(
    settings: Settings, clock: Clock, lock_lost: Callable[[str], None], stopping: Callable[[], bool] = lambda: False
) -> Resources:
    """The lock first (a second bot stops here, a standby waits), then the database (migrated), the sessions and the
    shelf."""
    resources = Resources(lock=await _take_lock(settings, stopping))
    try:
        if settings.database_url:
            resources.watch = asyncio.create_task(resources.lock.watch(lock_lost), name="lock-watch")
        resources.session = aiohttp.ClientSession()
        resources.db = await _open_database(settings, clock)
        resources.destinations = Destinations([settings.api_base, settings.discord_cdn_url])
        resources.media_session = aiohttp.ClientSession(connector=resources.destinations.connector())
        try:  # MEDIA_DIR, or the bucket of MEDIA_S3_BUCKET, reached once now: a wrong key or name is said at start
            resources.shelf = await open_shelf(settings)
        except ShelfError as exc:
            raise StartupError(str(exc)) from None
    except BaseException:
        await resources.close()
        raise
    return resources


def _where(settings: Settings) -> tuple[str, str]:
    return settings.database_name, "DATABASE_URL" if settings.database_url else "DATABASE_PATH"


def _from_asyncpg(exc: BaseException) -> bool:  # a wrong password, no such database, refused
    return type(exc).__module__.startswith("asyncpg")


def _cannot_open(settings: Settings, detail: object) -> StartupError:
    where, setting = _where(settings)
    return StartupError(f"the database at {where} cannot be opened ({detail}): check {setting}")


async def _take_lock(settings: Settings, stopping: Callable[[], bool]) -> Any:
    """One bot per database: a flock beside the SQLite file, or PostgreSQL's session advisory lock (a standby waits
    for it: bot/app/standby.py)."""
    try:
        if settings.database_url and settings.standby:
            return await take_over(settings, stopping)
        return await take_instance_lock(
            settings.database_path, settings.database_url, notice_within=settings.standby_takeover
        )
    except AlreadyRunning as exc:
        raise StartupError(
            f"another luma-bot (pid {exc}) is already running on the database at {_where(settings)[0]}: "
            "stop it first (two would both deliver, and bill, every video)"
        ) from None
    except OSError as exc:
        raise _cannot_open(settings, exc.strerror or exc) from None
    except Exception as exc:
        if not _from_asyncpg(exc):
            raise
        raise _cannot_open(settings, exc) from None


async def _open_database(settings: Settings, clock: Clock) -> Database:
    try:
        return await open_database(settings.database_path, settings.database_url, clock=clock)
    except SchemaTooNew as exc:
        raise StartupError(str(exc)) from None
    except (OSError, sqlite3.Error) as exc:
        raise _cannot_open(settings, exc) from None
    except Exception as exc:
        if not _from_asyncpg(exc):
            raise
        raise _cannot_open(settings, exc) from None
