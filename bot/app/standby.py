"""`luma-bot run --standby` (PostgreSQL): a second bot that waits on the database's one-bot lock instead of
stopping, says so in one line, answers /healthz as a standby, and takes the lock (then starts as any bot does,
resuming every job in flight and in line) within STANDBY_TAKEOVER of the active bot dying or losing the database.

The active bot's lock connection has keepalives sized from the same setting (bot/store/postgres.py), so the server
frees the lock in time even when the active bot's network is cut without a goodbye; the active bot itself stops
once it sees its lock gone (PostgresInstanceLock.watch)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.extras import needs_extra
from bot.store import AlreadyRunning

__all__ = ["StandbyStopped", "take_over"]

log = logging.getLogger(__name__)


class StandbyStopped(Exception):
    """The standby was asked to stop before it took over: nothing was started."""


class _StandbyHealth:
    """/healthz while waiting: 503 with `standby: true` (and which process is active), on the bot's own address."""

    def __init__(self) -> None:
        self.active = "?"
        self._runner: web.AppRunner | None = None

    async def start(self, settings: Settings) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, settings.web_host, settings.web_port).start()
        except OSError as exc:
            log.warning("standby: /healthz cannot listen on %s:%s (%s)", settings.web_host, settings.web_port, exc)

    async def _healthz(self, request: web.Request) -> web.Response:
        body = {"ready": False, "standby": True, "active": self.active}
        return web.json_response(body, status=503, dumps=json.dumps)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def take_over(settings: Settings, stopping: Callable[[], bool]) -> Any:
    """Wait until this process holds the database's one-bot lock; return it. StandbyStopped when `stopping()`."""
    postgres = needs_extra("postgres", "bot.store.postgres", "DATABASE_URL")
    assert settings.database_url is not None
    lock = postgres.PostgresInstanceLock(settings.database_url, notice_within=settings.standby_takeover)
    health = _StandbyHealth()  # answering once it knows which bot is active
    every = max(0.2, settings.standby_takeover / 5)
    waiting = False
    try:
        while True:
            if stopping():
                raise StandbyStopped
            try:
                await lock.acquire()
                break
            except AlreadyRunning as exc:
                health.active = f"pid {exc}"
                try:  # the active bot learns that a standby waits (it yields when cut)
                    await lock.note_standby()
                except Exception as beat_failed:  # asyncpg's errors, a refused connection: try again next time
                    log.debug("standby: could not leave a heartbeat (%r)", beat_failed)
                if not waiting:
                    waiting = True
                    await health.start(settings)
                    log.info(
                        "standby: luma-bot pid %s holds the database; this one takes over within %g s of it stopping",
                        exc,
                        settings.standby_takeover,
                    )
            except OSError as exc:
                log.warning("standby: the database cannot be reached (%s); trying again", exc)
            await asyncio.sleep(every)
    finally:
        await health.stop()
    if waiting:
        log.info("standby: taking over the database")
    return lock
