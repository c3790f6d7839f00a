"""Stopping the job service: its loops end when told, even when woken at that very moment.

On Python 3.11 `asyncio.wait_for` returns normally when a cancellation arrives just as the awaited event is set
(gh-86296); the poller and the line's loop then went back to waiting, for up to an hour, and the bot's shutdown
(and a test run on CI) hung on them."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.guilds.quota import Limits, QuotaService
from bot.jobs.service import JobService
from bot.luma import LumaClient
from bot.store import QuotaStore


async def test_the_loops_stop_even_when_woken_as_they_are_cancelled(open_db: Any) -> None:
    db = await open_db()
    try:
        jobs = JobService(db, LumaClient(None, "http://unused", "t"), QuotaService(db, QuotaStore(db), Limits()))  # type: ignore[arg-type]
        await jobs.start()
        loops = list(jobs._loops)
        for _ in range(5):  # let each loop reach its wait for a wake-up
            await asyncio.sleep(0)
        assert not any(t.done() for t in loops)
        jobs._wake.set()  # a new job and a freed slot, in the very step the bot is told to stop
        jobs._line_wake.set()
        await jobs.stop(grace=5.0)
        assert all(t.done() for t in loops), [t.get_name() for t in loops if not t.done()]
    finally:
        await db.close()
