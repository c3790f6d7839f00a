"""Quotas on a real SQLite file: every limit, resets, refunds, orphans, and 200 racing reservations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.guilds.quota import Limits, QuotaExceeded, QuotaService
from bot.jobs.service import JobService, NewJob
from bot.luma import LumaClient, LumaServerError, LumaTaskFailed, TaskRecord, VideoRequest, VideoResult
from bot.store import QuotaStore

G, U, U2 = 1, 10, 11


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 1, 31, 23, 59, 0, tzinfo=UTC))


async def service(open_db: Any, clock: Clock, **limits: int | None) -> tuple[JobService, QuotaService]:
    db = await open_db(clock)
    quota = QuotaService(db, QuotaStore(db), Limits(**limits))
    return JobService(db, LumaClient(None, "http://unused", "t"), quota), quota  # type: ignore[arg-type]


def new(user: int = U, guild: int = G, roles: tuple[int, ...] = ()) -> NewJob:
    return NewJob(guild, 100, user, VideoRequest.generate("a quota test"), roles=roles)


async def refused(jobs: JobService, job: NewJob) -> QuotaExceeded:
    with pytest.raises(QuotaExceeded) as info:
        await jobs.accept(job)
    return info.value


async def held(jobs: JobService) -> int:
    row = await jobs.db.fetchone("SELECT COUNT(*) AS n FROM reservations WHERE state = 'held'")
    return int(row["n"])


async def test_200_simultaneous_reservations_against_50_grant_exactly_50(open_db: Any, clock: Clock) -> None:
    jobs, _ = await service(open_db, clock, guild_daily=50)
    results = await asyncio.gather(*(jobs.accept(new(user=1000 + i)) for i in range(200)), return_exceptions=True)
    granted = [r for r in results if not isinstance(r, BaseException)]
    refusals = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(granted) == 50 and len(refusals) == 150
    assert await held(jobs) == 50
    row = await jobs.db.fetchone("SELECT COUNT(*) AS n FROM jobs")
    assert row["n"] == 50, "a refused request leaves no job behind"
    await jobs.db.close()


async def test_member_daily_and_the_day_boundary(open_db: Any, clock: Clock) -> None:
    jobs, _ = await service(open_db, clock, member_daily=2)
    await jobs.accept(new())
    await jobs.accept(new())
    exc = await refused(jobs, new())
    assert exc.limit == "member_daily" and exc.frees_at == datetime(2026, 2, 1, tzinfo=UTC)
    assert "limit of 2 videos per day for each member" in exc.describe()
    await jobs.accept(new(user=U2))  # another member is not affected
    clock.now += timedelta(minutes=1)  # 00:00 UTC: a new day
    await jobs.accept(new())
    await jobs.db.close()


async def test_guild_monthly_resets_on_the_first(open_db: Any, clock: Clock) -> None:
    jobs, _ = await service(open_db, clock, guild_monthly=3)
    clock.now = datetime(2026, 1, 2, tzinfo=UTC)
    for user in (1, 2, 3):
        await jobs.accept(new(user=user))
    clock.now = datetime(2026, 1, 31, 23, 59, tzinfo=UTC)
    exc = await refused(jobs, new(user=4))
    assert exc.limit == "guild_monthly" and exc.frees_at == datetime(2026, 2, 1, tzinfo=UTC)
    clock.now = datetime(2026, 2, 1, 0, 0, 1, tzinfo=UTC)
    await jobs.accept(new(user=4))
    clock.now = datetime(2026, 12, 31, 12, tzinfo=UTC)
    assert (await jobs.quota.status(G, 4)).month_resets == datetime(2027, 1, 1, tzinfo=UTC)
    await jobs.db.close()


async def test_guild_daily_and_concurrency_limits(open_db: Any, clock: Clock) -> None:
    jobs, _ = await service(
        open_db, clock, guild_daily=3, guild_concurrent=2, member_concurrent=1, guild_waiting=0, member_waiting=0
    )
    first = await jobs.accept(new(user=1))
    exc = await refused(jobs, new(user=1))
    assert exc.limit == "member_waiting" and exc.frees_at is None
    assert exc.describe() == "The limit of 1 videos in progress or waiting in line for each member is reached."
    await jobs.accept(new(user=2))
    exc = await refused(jobs, new(user=3))
    assert exc.limit == "guild_waiting"
    await jobs.complete(first.id, VideoResult("task-1", "vid-1", "https://cdn.example/1.mp4"))
    await jobs.accept(new(user=3))
    exc = await refused(jobs, new(user=4))
    assert exc.limit in ("guild_daily", "guild_waiting")
    await jobs.db.close()


async def test_cooldown_and_closed_and_unlimited(open_db: Any, clock: Clock) -> None:
    jobs, quota = await service(open_db, clock, member_cooldown=60)
    await jobs.accept(new())
    exc = await refused(jobs, new())
    assert exc.limit == "member_cooldown" and exc.frees_at == clock.now + timedelta(seconds=60)
    clock.now += timedelta(seconds=61)
    await jobs.accept(new())
    async with jobs.db.transaction() as tx:
        await quota.store.set_override(tx, G, "member_daily", 0)
    exc = await refused(jobs, new(user=U2))
    assert exc.closed and "closed" in exc.describe()
    async with jobs.db.transaction() as tx:
        await quota.store.set_override(tx, G, "member_daily", None)  # none: unlimited, as the owner's is
        await quota.store.set_override(tx, G, "member_cooldown", None)  # no cooldown: held to the owner's 60 s
    assert (await quota.limits(G)).member_cooldown == 60
    for user in range(1000, 1020):
        await jobs.accept(new(user=user))
    await jobs.db.close()


async def test_a_tier_without_member_limits_skips_them_but_not_the_servers(open_db: Any, clock: Clock) -> None:
    """The exempt role's successor: a tier whose member limits are all none."""
    jobs, quota = await service(
        open_db, clock, member_daily=1, member_concurrent=1, member_cooldown=3600, guild_daily=3
    )
    async with jobs.db.transaction() as tx:
        for name in ("member_daily", "member_concurrent", "member_cooldown", "member_waiting"):
            await quota.store.set_tier(tx, G, 7, name, None)
    for _ in range(3):
        await jobs.accept(new(roles=(7,)))
    exc = await refused(jobs, new(roles=(7,)))
    assert exc.limit == "guild_daily"
    await jobs.db.close()


async def test_every_failure_refunds_and_success_charges(open_db: Any, clock: Clock) -> None:
    jobs, quota = await service(open_db, clock, member_daily=5)
    ok, api_error, task_failed, timed_out = [await jobs.accept(new()) for _ in range(4)]
    await jobs.complete(ok.id, VideoResult("t-ok", "v-ok", "https://cdn.example/ok.mp4"))
    await jobs.fail(api_error.id, LumaServerError("boom"))
    await jobs.apply(task_failed.id, TaskRecord("t-f", "failed", error=LumaTaskFailed("nope")))
    await jobs.fail(timed_out.id, LumaServerError("no result within the time limit"))
    states = {j.id: await quota.store.state_of(j.id) for j in (ok, api_error, task_failed, timed_out)}
    assert states == {ok.id: "charged", api_error.id: "refunded", task_failed.id: "refunded", timed_out.id: "refunded"}
    status = await quota.status(G, U)
    assert status.usage.member_day == 1 and status.left("member_daily", status.usage.member_day) == 4
    # a second outcome for the same job changes nothing
    assert not await jobs.fail(ok.id, LumaServerError("late"))
    assert await quota.store.state_of(ok.id) == "charged"
    await jobs.db.close()


async def test_a_restart_releases_reservations_of_jobs_that_are_gone(open_db: Any, clock: Clock) -> None:
    jobs, quota = await service(open_db, clock)
    stuck = await jobs.accept(new())
    async with jobs.db.transaction() as tx:  # a job that ended without its reservation being settled
        await tx.execute("UPDATE jobs SET state = 'failed' WHERE id = ?", (stuck.id,))
    limbo = await jobs.accept(new(user=U2))
    await jobs.jobs.mark_submitting(limbo.id)  # the bot stopped while the API was answering
    waiting = await jobs.accept(new(user=3))  # waiting in line when the bot stopped: it keeps its place
    await jobs.resume()  # what start-up does (polling mode: no task id means nothing to look up)
    assert await quota.store.state_of(stuck.id) == "refunded"
    assert await quota.store.state_of(limbo.id) == "refunded"
    assert (await jobs.jobs.get(limbo.id)).state == "failed"  # type: ignore[union-attr]
    assert await quota.store.state_of(waiting.id) == "held" and waiting.id in jobs.line.waiting
    assert await held(jobs) == 1
    await jobs.db.close()
