"""#25 point 1: a job leaves the line or is sent to the API, never both.

Cancel (and a queue time-out and a member block, which end a job by the same path) raced the line's pump: the
member read "nothing was charged" and the reservation was refunded, yet the pump had already taken the job and
sent it; in poll mode its task was then tracked by nobody (made and billed, counted by no quota), and its slot
was freed while it rendered. These tests put the two paths in the very interleaving a freed slot and a click can
produce, on a real database and against the fake Luma API, and check what the member and the owner would see.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.guilds.quota import Limits, QuotaService
from bot.jobs.service import JobService, NewJob
from bot.luma import LumaClient, VideoRequest
from bot.luma.fake import FakeLuma
from bot.store import QuotaStore
from bot.store.db import Tx

from ..conftest import TOKEN

GUILD, CHANNEL, MEMBER = 10, 20, 30


class HeldRefund(QuotaService):
    """The quota service, with a hand on two moments: a refund is held (inside the ending job's transaction)
    until released, and the pump's reading of the server's limits is announced."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.refund_reached = asyncio.Event()
        self.release_refund = asyncio.Event()
        self.limits_asked = asyncio.Event()

    async def refund(self, tx: Tx, job_id: str) -> bool:
        self.refund_reached.set()
        await self.release_refund.wait()
        return await super().refund(tx, job_id)

    async def limits(self, guild_id: int, tx: Tx | None = None) -> Limits:
        self.limits_asked.set()
        return await super().limits(guild_id, tx)


async def settled(jobs: JobService) -> None:
    """Every task the service started has ended (a submission, a delivery attempt)."""
    async with asyncio.timeout(10):
        while jobs._tasks:
            await asyncio.gather(*list(jobs._tasks), return_exceptions=True)


async def test_a_cancel_that_wins_leaves_nothing_at_the_api_and_frees_no_slot_twice(open_db: Any) -> None:
    db = await open_db()
    async with FakeLuma(token=TOKEN, delay=0.05, auto_complete=False) as fake, aiohttp.ClientSession() as http:
        quota = HeldRefund(db, QuotaStore(db), Limits())
        jobs = JobService(db, LumaClient(http, fake.url, TOKEN), quota, max_in_flight=1)
        try:
            job = await jobs.accept(NewJob(GUILD, CHANNEL, MEMBER, VideoRequest.generate("cancel me")))
            # the member presses Cancel: the job is ending (its row written, its refund under way)...
            cancel = asyncio.create_task(jobs.cancel(job.id, MEMBER, may_manage=False))
            await asyncio.wait_for(quota.refund_reached.wait(), 5)
            # ...as a slot frees up and the line moves
            pump = asyncio.create_task(jobs._pump())
            await asyncio.wait_for(quota.limits_asked.wait(), 5)
            quota.release_refund.set()
            answer = await asyncio.wait_for(cancel, 10)
            await asyncio.wait_for(pump, 10)
            await settled(jobs)

            assert answer == "Cancelled. It left the line, and nothing was charged."
            assert fake.videos_requests() == [], "the member was told nothing was charged: nothing may be made"
            stored = await jobs.jobs.get(job.id)
            assert stored is not None and stored.state == "failed" and stored.submit_started_at is None
            row = await db.fetchone("SELECT state FROM reservations WHERE job_id = ?", (job.id,))
            assert row is not None and row["state"] == "refunded"
            assert jobs.line.free_slots == 1 and not jobs.line.waiting and not jobs.line.rendering
        finally:
            await jobs.stop(grace=2)
            await db.close()


async def test_a_job_being_sent_cannot_be_cancelled_and_keeps_its_slot(open_db: Any) -> None:
    """The other way round: once the job is marked as being sent, the cancel loses, says so, and leaves the line
    (its slot, its reservation) as it is."""
    db = await open_db()
    async with FakeLuma(token=TOKEN, delay=0.05, auto_complete=False) as fake, aiohttp.ClientSession() as http:
        jobs = JobService(db, LumaClient(http, fake.url, TOKEN), QuotaService(db, QuotaStore(db), Limits()))
        try:
            job = await jobs.accept(NewJob(GUILD, CHANNEL, MEMBER, VideoRequest.generate("too late")))
            assert await jobs.jobs.mark_submitting(job.id), "the pump's state change wins"
            answer = await jobs.cancel(job.id, MEMBER, may_manage=False)
            assert answer.startswith("It has already started")
            stored = await jobs.jobs.get(job.id)
            assert stored is not None and stored.state == "queued" and stored.submit_started_at is not None
            row = await db.fetchone("SELECT state FROM reservations WHERE job_id = ?", (job.id,))
            assert row is not None and row["state"] == "held"
            assert not await jobs.jobs.mark_submitting(job.id), "and it is taken out of the line only once"
        finally:
            await jobs.stop(grace=2)
            await db.close()
