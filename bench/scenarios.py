"""The measurements. Each returns plain numbers; __main__ repeats them, summarizes and prints."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.luma.fake import FakeLuma
from bot.web.serving import free_port
from tests.fakes.discord import FakeDiscord, Interaction

from .botproc import ROOT, BotProcess

DISCORD_TOKEN = "bench-discord-token"
LUMA_TOKEN = "bench-luma-token"
# where a result reaches Discord: a new message that mentions its member, the interaction's follow-up (or, once
# its token expired, a post in the channel) (bot/delivery/posting.py)
RESULT_POST = ("POST", r"(/webhooks/\d+/[^/]+|/channels/\d+/messages)$")


def iso_now() -> str:
    from bot.clock import iso, system_clock

    return iso(system_clock())


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Stage:
    """The fakes, a guild to play in, and a scratch folder, shared by every scenario of one run."""

    work: Path
    discord: FakeDiscord = field(default_factory=lambda: FakeDiscord(token=DISCORD_TOKEN))
    # these scenarios measure the bot's own paths (ack, delivery, memory), not the line in front of the
    # API: no in-flight limit at the fake, and the bot's cap out of the way
    luma: FakeLuma = field(default_factory=lambda: FakeLuma(token=LUMA_TOKEN, auto_complete=False, max_in_flight=None))
    http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Stage:
        await self.discord.start()
        await self.luma.start()
        self.guild = self.discord.add_guild("Bench", channels=1)
        self.channel = self.discord.guilds[self.guild]["channel_ids"][0]
        self.users = []
        # every member has roles, as in a real server: each request reads the member's tiers among them (#22)
        roles = [self.discord.add_role(self.guild, name) for name in ("Members", "Creators")]
        for i in range(20):
            user = self.discord.add_user(f"member{i}")
            self.discord.add_member(self.guild, user, roles=roles)
            self.users.append(user)
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.http is not None
        await self.http.close()
        await self.luma.stop()
        await self.discord.stop()

    def env(self, *, callbacks: bool, db: Path, **extra: str) -> dict[str, str]:
        port = free_port()
        env = {
            "DISCORD_TOKEN": DISCORD_TOKEN,
            "ACEDATACLOUD_API_TOKEN": LUMA_TOKEN,
            "ACEDATACLOUD_API_BASE_URL": self.luma.url,
            "DISCORD_API_BASE": self.discord.api_base,
            "DISCORD_GATEWAY_URL": self.discord.gateway_url,
            "DATABASE_PATH": str(db),
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(port),
            "DEV_GUILD_ID": str(self.guild),
            "LOG_LEVEL": "WARNING",
            "PROGRESS_INTERVAL": "600",
            "CALLBACK_POLL_INTERVAL": "300",
            "LUMA_MAX_IN_FLIGHT": "1000000",
            **{
                f"QUOTA_{n}": "none"
                for n in (
                    "GUILD_DAILY",
                    "GUILD_MONTHLY",
                    "MEMBER_DAILY",
                    "GUILD_CONCURRENT",
                    "MEMBER_CONCURRENT",
                    "MEMBER_COOLDOWN",
                    "GUILD_WAITING",
                    "MEMBER_WAITING",
                )
            },
        }
        if callbacks:
            env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
        env.update(extra)
        return env

    async def start_bot(self, env: dict[str, str], *, ready: bool = True) -> BotProcess:
        assert self.http is not None
        self.discord.ready.clear()
        bot = BotProcess(env, self.work / "bot.log")
        await bot.start()
        if ready:
            await bot.wait(self.http, lambda h: h["ready"])
        return bot

    @contextlib.asynccontextmanager
    async def bot(self, env: dict[str, str]) -> AsyncIterator[BotProcess]:
        """A bot process that is ready, and stopped afterwards whatever happens."""
        bot = await self.start_bot(env)
        try:
            yield bot
        finally:
            await bot.stop()

    async def fire(self, count: int, tag: str) -> list[Interaction]:
        """`count` members' /luma generate at once."""
        return list(
            await asyncio.gather(
                *(
                    self.discord.slash(
                        self.guild,
                        self.channel,
                        self.users[i % len(self.users)],
                        ["luma", "generate"],
                        {"prompt": f"{tag} video number {i}"},
                    )
                    for i in range(count)
                )
            )
        )

    async def acked(self, interactions: list[Interaction]) -> list[float]:
        await asyncio.gather(*(self.discord.wait_response(i, timeout=30) for i in interactions))
        assert all(i.response_type == 5 for i in interactions), "every command was deferred"
        return [(i.response_at - i.created) * 1000 for i in interactions]  # type: ignore[operator]

    def tasks_with(self, tag: str) -> list[str]:
        return [t.task_id for t in self.luma.tasks.values() if t.request.get("prompt", "").startswith(tag)]

    async def wait_tasks(self, tag: str, count: int, timeout: float = 60) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(found := self.tasks_with(tag)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(found)} of {count} tasks reached the fake Luma API")
            await asyncio.sleep(0.01)
        return found

    def delivered(
        self,
        task_ids: list[str],
        *,
        method: str = RESULT_POST[0],
        path: str = RESULT_POST[1],
        found: dict[str, float] | None = None,
        start: int = 0,
    ) -> tuple[dict[str, float], int]:
        """task id -> when (fake clock) its result message reached the fake Discord (first success), looking at the
        requests from index `start` on (with what was `found` before); and the index to start from next time. The
        fake Discord runs in this process: a scan of every request on every look would slow the very server whose
        answers are being timed."""
        found = dict(found or {})
        marks = {self.result_mark(t): t for t in task_ids} | {f"/cdn/{t}.mp4": t for t in task_ids}
        pattern = re.compile(path)
        requests = self.discord.requests
        end = len(requests)
        for record in requests[start:end]:
            if record.method != method or not pattern.search(record.path):
                continue
            if record.status != 200 or not isinstance(record.body, dict):
                continue
            body = json.dumps(record.body)
            for mark in [m for m in marks if marks[m] not in found]:
                if mark in body:
                    found[marks[mark]] = record.at
                    break
        # a request still being answered (no status yet) is looked at again next time
        pending = next((i for i in range(start, end) if requests[i].status == 0), end)
        return found, pending

    def result_mark(self, task_id: str) -> str:
        """What shows a task's result in the bot's message: its video's Extend button (the message may carry
        the video as a file, with no link in it). A baseline's message shows the API's link."""
        task = self.luma.tasks.get(task_id)
        video_id = (task.response or {}).get("video_id") if task is not None else None
        return f"luma:extend:{video_id or task_id}"

    def result_posts(self, task_id: str) -> int:
        mark = self.result_mark(task_id)
        return sum(1 for r in self.discord.calls(*RESULT_POST) if r.status == 200 and mark in json.dumps(r.body))

    async def finish_all(self, task_ids: list[str], spacing: float) -> None:
        for task_id in task_ids:
            self.luma.finish(task_id)
            if spacing:
                await asyncio.sleep(spacing)

    async def wait_delivered(self, task_ids: list[str], timeout: float = 60, **kw: Any) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        found, start = self.delivered(task_ids, **kw)
        while len(found) < len(task_ids):
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(found)} of {len(task_ids)} results delivered")
            await asyncio.sleep(0.02)
            found, start = self.delivered(task_ids, found=found, start=start, **kw)
        return found


# --- scenarios ---------------------------------------------------------------------------------------


async def bare_ack(stage: Stage, sizes: list[int]) -> dict[str, list[float]]:
    """Baseline: a discord.py bot that only defers."""
    env = stage.env(callbacks=False, db=stage.work / "unused.sqlite3")
    stage.discord.ready.clear()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.baselines",
        "bare-bot",
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await stage.discord.wait_ready()
        await asyncio.sleep(0.3)
        return {str(n): await stage.acked(await stage.fire(n, f"bare{n}-{uuid.uuid4().hex[:6]}")) for n in sizes}
    finally:
        proc.terminate()
        await proc.wait()


async def bot_ack_and_delivery(
    stage: Stage, bot: BotProcess, sizes: list[int], delivery_n: int, *, poll: bool
) -> dict[str, Any]:
    """Acks at each size; then finish the tasks one by one and time each result's arrival."""
    acks: dict[str, list[float]] = {}
    end_to_end: list[float] = []
    bot_side: list[float] = []
    for n in sizes:
        tag = f"run{n}-{uuid.uuid4().hex[:6]}"
        acks[str(n)] = await stage.acked(await stage.fire(n, tag))
        task_ids = await stage.wait_tasks(tag, n)
        await asyncio.sleep(0.3)  # the "generating…" edits are done
        await stage.finish_all(task_ids, spacing=0.01 if n == delivery_n else 0)
        arrived = await stage.wait_delivered(task_ids)
        if n == delivery_n:
            for task_id in task_ids:
                task = stage.luma.tasks[task_id]
                assert task.finished_mono is not None
                end_to_end.append((arrived[task_id] - task.finished_mono) * 1000)
                start = task.reported_mono if poll else task.finished_mono  # poll answered / callback sent
                if start is not None:
                    bot_side.append((arrived[task_id] - start) * 1000)
    return {"ack_ms": acks, "delivery_end_to_end_ms": end_to_end, "delivery_bot_side_ms": bot_side}


async def naive_delivery(stage: Stage, count: int) -> dict[str, Any]:
    """Baseline: blocking calls held open until each video is done; memory per call in flight."""
    env = stage.env(callbacks=False, db=stage.work / "unused.sqlite3")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.baselines",
        "naive",
        str(count),
        str(stage.channel),
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None and proc.stdin is not None
    before = float((await proc.stdout.readline()).split()[1])
    task_ids = await stage.wait_tasks("naive video", count)
    await asyncio.sleep(0.3)
    proc.stdin.write(b"measure\n")
    await proc.stdin.drain()
    during = float((await proc.stdout.readline()).split()[1])
    await stage.finish_all(task_ids, spacing=0.002)
    arrived = await stage.wait_delivered(task_ids, method="POST", path=rf"/channels/{stage.channel}/messages$")
    await proc.wait()
    for task_id in task_ids:  # so that a later run's tag search starts clean
        stage.luma.tasks[task_id].request["prompt"] = "done"
    latencies = [(arrived[t] - stage.luma.tasks[t].finished_mono) * 1000 for t in task_ids]  # type: ignore[operator]
    return {"delivery_ms": latencies, "kib_per_job": (during - before) * 1024 / count}


async def rate_limited(stage: Stage, bot: BotProcess, count: int) -> dict[str, Any]:
    """Every result's post first gets a 429 (retry_after 0.25 s): all must still arrive, once each."""
    tag = f"limited-{uuid.uuid4().hex[:6]}"
    await stage.acked(await stage.fire(count, tag))
    task_ids = await stage.wait_tasks(tag, count)
    await asyncio.sleep(0.5)
    before = sum(1 for r in stage.discord.requests if r.status == 429)
    stage.discord.rate_limit(*RESULT_POST, retry_after=0.25, times=count)
    started = time.monotonic()
    await stage.finish_all(task_ids, spacing=0)
    await stage.wait_delivered(task_ids, timeout=120)
    took = time.monotonic() - started
    await asyncio.sleep(0.5)
    posts = [stage.result_posts(t) for t in task_ids]
    return {
        "seconds": took,
        "delivered": sum(1 for p in posts if p >= 1),
        "posted_twice": sum(1 for p in posts if p > 1),
        "served_429": sum(1 for r in stage.discord.requests if r.status == 429) - before,
    }


async def seed(db_path: Path, jobs: list[dict[str, Any]], url: str | None = None) -> None:
    """Write jobs, each with its held reservation, straight into a bot's database (SQLite, or PostgreSQL at
    `url`), as a stopped bot leaves them (`created_at` is now)."""
    from bot.store.opening import open_database

    db = await open_database(db_path, url)
    now = db.now()
    columns = [*jobs[0], "created_at"]
    rows = [(*job.values(), now) for job in jobs]
    holds = [(job["guild_id"], job["user_id"], job["id"], now[:10], now[:7], now) for job in jobs]
    async with db.transaction() as tx:
        await tx.executemany(
            f"INSERT INTO jobs ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", rows
        )
        await tx.executemany(
            "INSERT INTO reservations (guild_id, user_id, job_id, state, day, month, created_at)"
            " VALUES (?, ?, ?, 'held', ?, ?, ?)",
            holds,
        )
    await db.close()


async def seed_jobs(db_path: Path, stage: Stage, count: int, url: str | None = None) -> None:
    """`count` jobs already submitted (as if the bot had been stopped), and their pending tasks."""
    jobs = []
    for i in range(count):
        task_id = f"seeded-{uuid.uuid4()}"
        body = {
            "action": "generate",
            "prompt": f"seeded video {i}",
            "aspect_ratio": "16:9",
            "loop": False,
            "enhancement": True,
        }
        stage.luma.add_pending_task(task_id, body)
        user = stage.users[i % 20]
        job_id = f"job-{i}-{uuid.uuid4().hex[:8]}"
        jobs.append(
            {
                "id": job_id,
                "guild_id": stage.guild,
                "channel_id": stage.channel,
                "user_id": user,
                "action": "generate",
                "request": json.dumps(body),
                "state": "submitted",
                "task_id": task_id,
                "submitted_at": iso_now(),
            }
        )
    await seed(db_path, jobs, url)


@contextlib.asynccontextmanager
async def resumed(stage: Stage, count: int, url: str | None = None) -> AsyncIterator[tuple[BotProcess, float]]:
    """A bot started on `count` seeded jobs in flight (SQLite, or PostgreSQL at `url`), once it tracks them all,
    with the seconds that took; stopped afterwards, and the seeded tasks cleared from the fake API."""
    assert stage.http is not None
    db = stage.work / f"seeded-{uuid.uuid4().hex}.sqlite3"
    await seed_jobs(db, stage, count, url=url)
    extra = {"DATABASE_URL": url} if url else {}
    bot = await stage.start_bot(stage.env(callbacks=False, db=db, **extra), ready=False)
    try:
        await bot.wait(stage.http, lambda h: h["jobs_in_flight"] >= count, timeout=120)
        yield bot, time.monotonic() - bot.started
    finally:
        await bot.stop()
        for task in [t for t in stage.luma.tasks if t.startswith("seeded-")]:
            del stage.luma.tasks[task]


async def scale_and_resume(stage: Stage, count: int, settle: float, window: float) -> dict[str, Any]:
    """A fresh bot's memory; then `count` jobs in flight: time to track them all again after a start,
    the extra memory, and the request rate the poller settles at (default cadence)."""
    assert stage.http is not None
    empty = await stage.start_bot(
        stage.env(callbacks=False, db=stage.work / f"empty-{uuid.uuid4().hex}.sqlite3"), ready=True
    )
    await asyncio.sleep(settle)
    rss_empty = empty.rss
    await empty.stop()

    async with resumed(stage, count) as (bot, resume_s):
        await bot.wait(stage.http, lambda h: h["ready"])
        await asyncio.sleep(settle)
        rss_full = bot.rss
        first = len(stage.luma.requests)
        await asyncio.sleep(window)
        polls = [r for r in stage.luma.requests[first:] if r["path"] == "/luma/tasks"]
        ids = sum(len(r["body"].get("ids", [])) for r in polls)
    return {
        "resume_s": resume_s,
        "rss_empty_mib": rss_empty,
        "rss_full_mib": rss_full,
        "extra_mib": rss_full - rss_empty,
        "poll_requests_per_s": len(polls) / window,
        "poll_ids_per_s": ids / window,
    }


async def quota_throughput(count: int, limit: int) -> dict[str, Any]:
    """Reservations racing on real SQLite: how many per second, and that exactly `limit` are granted."""
    from bot.guilds.quota import Limits, QuotaExceeded, QuotaService
    from bot.jobs.service import JobService, NewJob
    from bot.luma import LumaClient, VideoRequest
    from bot.store import Database, JobStore, QuotaStore

    folder = Path(tempfile.mkdtemp(prefix="luma-bench-"))
    try:
        db = await Database.open(folder / "q.sqlite3")
        quota = QuotaService(db, QuotaStore(db), Limits(guild_daily=limit))
        jobs = JobService(db, LumaClient(None, "http://unused", "t"), quota)  # type: ignore[arg-type]
        request = VideoRequest.generate("quota bench")
        async with db.transaction() as tx:  # members with roles, one of them a tier: its lookup is on the path (#22)
            await quota.store.set_tier(tx, 1, 12, "member_daily", 100)
        started = time.perf_counter()
        results = await asyncio.gather(
            *(jobs.accept(NewJob(1, 2, 1000 + i, request, roles=(11, 12))) for i in range(count)),
            return_exceptions=True,
        )
        took = time.perf_counter() - started
        granted = sum(1 for r in results if not isinstance(r, BaseException))
        refused = sum(1 for r in results if isinstance(r, QuotaExceeded))
        await db.close()

        # baseline: the same jobs written without any quota check
        plain = await Database.open(folder / "plain.sqlite3")
        store = JobStore(plain)
        from bot.store import Job

        async def insert(i: int) -> None:
            async with plain.transaction() as tx:
                await store.insert(tx, Job(f"p{i}", 1, 2, 1000 + i, request))

        started = time.perf_counter()
        await asyncio.gather(*(insert(i) for i in range(count)))
        plain_took = time.perf_counter() - started
        await plain.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "per_s": count / took,
        "granted": granted,
        "refused": refused,
        "limit": limit,
        "plain_inserts_per_s": count / plain_took,
    }


# --- the line in front of the API's in-flight cap ---------------------------------------------------------


def add_guilds(stage: Stage, count: int, members: int) -> list[tuple[int, int, list[int]]]:
    """More servers for the line scenarios (added before the bot connects, so they arrive with READY)."""
    return [stage.discord.add_guild_with_members(f"Line {g}", members, channels=1) for g in range(count)]


async def line_backlog(
    stage: Stage, guilds: list[tuple[int, int, list[int]]], asks: list[int], *, render: float, poll: bool, cap: int = 5
) -> dict[str, Any]:
    """A backlog at a fake API that takes `cap` tasks at once, each rendering `render` seconds: how busy the
    slots stay, how fast a finished task's slot is given again, how soon results show, who waits how long.
    `asks[g]` videos are asked for by server g, server by server in that order."""
    luma = stage.luma
    for task in luma.tasks.values():  # nothing left over from earlier scenarios holds a slot
        if task.response is None:
            luma.finish(task.task_id)
    luma.max_in_flight, luma.auto_complete, luma.delay, luma.in_flight_peak = cap, True, render, 0
    tag = f"line-{uuid.uuid4().hex[:6]}"
    env = stage.env(callbacks=not poll, db=stage.work / f"{tag}.sqlite3", LUMA_MAX_IN_FLIGHT=str(cap))
    if poll:  # the default cadence: only the first look is the owner's setting, the rest is the line's
        env.update(POLL_FIRST_DELAY="8", POLL_INTERVAL="15", POLL_MAX_INTERVAL="30", POLL_RATE="1")
    asked_at: dict[str, tuple[int, float]] = {}  # prompt -> (server index, when asked)
    try:
        async with stage.bot(env):
            interactions = []
            for g, count in enumerate(asks):
                guild, channel, users = guilds[g]
                batch = []
                for i in range(count):
                    prompt = f"{tag} g{g} n{i}"
                    batch.append(
                        await stage.discord.slash(
                            guild, channel, users[i % len(users)], ["luma", "generate"], {"prompt": prompt}
                        )
                    )
                    asked_at[prompt] = (g, batch[-1].created)
                await stage.acked(batch)
                interactions += batch
                if g == 0:  # server 0's backlog fills every slot and the line
                    await stage.wait_tasks(tag, cap)
                elif g == 1:  # server 1 asks for a few behind it: they go first (then the others ask)
                    await stage.wait_tasks(f"{tag} g1", count, timeout=60 + count * render * 2)
            total = sum(asks)
            task_ids = await stage.wait_tasks(tag, total, timeout=60 + total * render)
            await asyncio.wait_for(asyncio.gather(*(luma.tasks[t].done.wait() for t in task_ids)), 60 + render * 2)
            arrived = await stage.wait_delivered(task_ids, timeout=60)
    finally:
        luma.max_in_flight, luma.auto_complete, luma.delay = None, False, 0.2
    tasks = sorted((luma.tasks[t] for t in task_ids), key=lambda t: t.created_mono)
    starts = [t.created_mono for t in tasks]
    first, last = starts[0], starts[-1]
    busy = sum(max(0.0, min(t.finished_mono or last, last) - max(t.created_mono, first)) for t in tasks)
    utilisation = busy / (cap * (last - first)) if last > first else 1.0
    # task done -> the submission that took its slot: the k-th slot to free is the one the (k + cap)-th
    # submission takes, so pair them in order (only while the line still had jobs waiting)
    finishes = sorted(t.finished_mono or 0.0 for t in tasks)
    gaps = [(starts[k + cap] - finishes[k]) * 1000 for k in range(len(starts) - cap)]
    visible = [(arrived[t.task_id] - (t.finished_mono or 0.0)) * 1000 for t in tasks]
    waits: dict[str, list[float]] = {}
    for t in tasks:
        g, when = asked_at[t.request["prompt"]]
        waits.setdefault(str(g), []).append(t.created_mono - when)
    return {
        "utilisation": utilisation,
        "done_to_next_submit_ms": gaps,
        "done_to_visible_ms": visible,
        "wait_s_by_guild": waits,
        "peak_in_flight": luma.in_flight_peak,
    }


async def seed_waiting(db_path: Path, count: int, guilds: int) -> None:
    """`count` jobs waiting in line across `guilds` servers (as if the bot had been stopped)."""
    jobs = []
    for i in range(count):
        body = {"action": "generate", "prompt": f"waiting video {i}", "aspect_ratio": "16:9", "loop": False}
        jobs.append(
            {
                "id": f"wait-{i}-{uuid.uuid4().hex[:8]}",
                "guild_id": 10_000 + i % guilds,
                "channel_id": 1,
                "user_id": 20_000 + i % (guilds * 3),
                "action": "generate",
                "request": json.dumps(body),
                "state": "queued",
            }
        )
    await seed(db_path, jobs)


async def waiting_resume(stage: Stage, count: int, guilds: int, settle: float) -> dict[str, Any]:
    """`count` jobs waiting in line across `guilds` servers: time from start until the line is rebuilt,
    and the memory it takes over a fresh bot's."""
    assert stage.http is not None
    empty = await stage.start_bot(stage.env(callbacks=False, db=stage.work / f"e-{uuid.uuid4().hex}.sqlite3"))
    await asyncio.sleep(settle)
    rss_empty = empty.rss
    await empty.stop()
    db = stage.work / f"waiting-{uuid.uuid4().hex}.sqlite3"
    await seed_waiting(db, count, guilds)
    stage.luma.max_in_flight = 0  # every submission is refused (429): the line stays whole while measured
    try:
        bot = await stage.start_bot(stage.env(callbacks=False, db=db, LUMA_MAX_IN_FLIGHT="5"), ready=False)
        await bot.wait(stage.http, lambda h: h.get("jobs_waiting", 0) >= count - 5, timeout=120)
        resume_s = time.monotonic() - bot.started
        await bot.wait(stage.http, lambda h: h["ready"])
        await asyncio.sleep(settle)
        rss_full = bot.rss
        await bot.stop()
    finally:
        stage.luma.max_in_flight = None
    return {"resume_s": resume_s, "extra_mib": rss_full - rss_empty}


# --- the archive: results that carry the file ----------------------------------------------------------

MIB = 1024 * 1024


async def archive_delivery(stage: Stage, count: int, video_mib: float, *, poll: bool) -> dict[str, Any]:
    """Results with a `video_mib` MiB video on the fake CDN: task done → result visible when the bot waits
    for its copy and attaches it (ARCHIVE_WAIT 10 s), beside the same bot posting the link at once
    (ARCHIVE_WAIT 0, the baseline); and the share of results that carried the file."""
    out: dict[str, Any] = {}
    stage.luma.video_bytes = int(video_mib * MIB)
    cadence = {"POLL_FIRST_DELAY": "1", "POLL_INTERVAL": "1", "POLL_MAX_INTERVAL": "2", "POLL_RATE": "2"}
    try:
        for label, wait in (("file", "10"), ("link", "0")):
            stamp = time.time_ns()
            env = stage.env(
                callbacks=not poll,
                db=stage.work / f"archive-{label}-{stamp}.sqlite3",
                MEDIA_DIR=str(stage.work / f"media-{label}-{stamp}"),
                ARCHIVE_WAIT=wait,
                **(cadence if poll else {}),
            )
            async with stage.bot(env):
                tag = f"archive-{label}-{uuid.uuid4().hex[:6]}"
                await stage.acked(await stage.fire(count, tag))
                task_ids = await stage.wait_tasks(tag, count)
                await asyncio.sleep(0.3)
                await stage.finish_all(task_ids, spacing=0.05)
                arrived = await stage.wait_delivered(task_ids, timeout=120)
                out[f"{label}_ms"] = [
                    (arrived[t] - stage.luma.tasks[t].finished_mono) * 1000  # type: ignore[operator]
                    for t in task_ids
                ]
                if label == "file":
                    marks = {stage.result_mark(t) for t in task_ids}
                    carried = {
                        mark
                        for r in stage.discord.calls(*RESULT_POST)
                        if r.status == 200 and r.uploads
                        for mark in marks
                        if mark in json.dumps(r.body)
                    }
                    out["share_with_file"] = 100 * len(carried) / count
    finally:
        stage.luma.video_bytes = None
    return out


async def archive_memory(stage: Stage, count: int, video_mib: int, settle: float) -> dict[str, float]:
    """Peak extra memory of the bot while it keeps `count` videos of `video_mib` MiB finished at once
    (streamed to disk), beside a client that reads each whole into memory (the baseline)."""
    stamp = time.time_ns()
    media = stage.work / f"media-memory-{stamp}"
    env = stage.env(callbacks=True, db=stage.work / f"memory-{stamp}.sqlite3", MEDIA_DIR=str(media))
    stage.luma.video_bytes = video_mib * MIB
    try:
        async with stage.bot(env) as bot:
            await asyncio.sleep(settle)
            idle = peak = bot.rss
            tag = f"memory-{uuid.uuid4().hex[:6]}"
            await stage.acked(await stage.fire(count, tag))
            task_ids = await stage.wait_tasks(tag, count)
            await asyncio.sleep(0.3)
            await stage.finish_all(task_ids, spacing=0)
            deadline = time.monotonic() + 120
            while len([p for p in media.rglob("*.mp4") if p.stat().st_size == video_mib * MIB]) < count:
                if time.monotonic() > deadline:
                    raise TimeoutError("the copies were not kept in time")
                peak = max(peak, bot.rss)
                await asyncio.sleep(0.005)
            peak = max(peak, bot.rss)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.baselines",
            "naive-download",
            str(count),
            f"{stage.luma.url}/cdn/memory-baseline.mp4",
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await proc.communicate()
        baseline = float(output.split()[-1])
    finally:
        stage.luma.video_bytes = None
    shutil.rmtree(media, ignore_errors=True)
    return {"extra_mib": peak - idle, "baseline_mib": baseline}


# --- scaling: PostgreSQL beside SQLite, 10,000 servers, migrate-db ------------------------------------


async def resume_on(stage: Stage, count: int, url: str | None) -> float:
    """Seconds from start until `count` seeded jobs in flight are tracked again, on SQLite or PostgreSQL."""
    async with resumed(stage, count, url) as (_, seconds):
        return seconds


async def many_guilds_rss(work: Path, guilds: int, settle: float) -> dict[str, float]:
    """The bot's memory once connected to `guilds` servers (the fake gateway announcing them over the shards
    Discord would recommend, one per 1,000), beside the same bot connected to one."""
    rss = {}
    for count in (1, guilds):
        discord = FakeDiscord(token=DISCORD_TOKEN)
        luma = FakeLuma(token=LUMA_TOKEN)
        await discord.start()
        await luma.start()
        try:
            for i in range(count):
                discord.add_guild(f"Server {i}", channels=3)
            discord.recommended_shards = max(1, -(-count // 1000))
            discord.max_concurrency = 16
            port = free_port()
            env = {
                "DISCORD_TOKEN": DISCORD_TOKEN,
                "ACEDATACLOUD_API_TOKEN": LUMA_TOKEN,
                "ACEDATACLOUD_API_BASE_URL": luma.url,
                "DISCORD_API_BASE": discord.api_base,
                "DISCORD_GATEWAY_URL": discord.gateway_url,
                "DATABASE_PATH": str(work / f"guilds-{count}-{uuid.uuid4().hex}.sqlite3"),
                "WEB_HOST": "127.0.0.1",
                "WEB_PORT": str(port),
                "LOG_LEVEL": "WARNING",
            }
            bot = BotProcess(env, work / "bot.log")
            await bot.start()
            try:
                async with aiohttp.ClientSession() as http:
                    await bot.wait(http, lambda h: h["ready"], timeout=180)
                await asyncio.sleep(settle)
                rss[count] = bot.rss
            finally:
                await bot.stop()
        finally:
            await luma.stop()
            await discord.stop()
    return {"rss_one_mib": rss[1], "rss_many_mib": rss[guilds], "mib_per_1000": (rss[guilds] - rss[1]) * 1000 / guilds}


async def migrate_history(work: Path, pg: Any, rows: int) -> dict[str, float]:
    """`luma-bot migrate-db` (its own process) of a SQLite database with `rows` history rows (videos, each with
    its job), beside asyncpg's COPY of the same rows into the same tables (PostgreSQL's fastest way in)."""
    from bot.store import Database
    from bot.store.postgres import PostgresDatabase

    path = work / f"history-{uuid.uuid4().hex}.sqlite3"
    db = await Database.open(path)
    now = db.now()
    jobs = [(f"job-{i}", 1, 2, 3 + i % 50, "generate", "{}", "completed", f"task-{i}", now, now) for i in range(rows)]
    videos = [
        (
            f"video-{i}",
            1,
            3 + i % 50,
            2,
            f"job-{i}",
            f"task-{i}",
            "generate",
            f"history prompt {i}",
            f"https://cdn.example/{i}.mp4",
            now,
        )
        for i in range(rows)
    ]
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO jobs (id, guild_id, channel_id, user_id, action, request, state, task_id, submitted_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            jobs,
        )
        await tx.executemany(
            "INSERT INTO videos (video_id, guild_id, user_id, channel_id, job_id, task_id, action, prompt,"
            " video_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            videos,
        )
    await db.close()

    url = await pg.new_database()
    env = {"PATH": "/usr/bin:/bin", "DATABASE_PATH": str(path), "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate-db",
        "--to",
        url,
        env=env,
        cwd=work,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out = (await proc.communicate())[0].decode()
    seconds = time.monotonic() - started
    assert proc.returncode == 0 and f"videos: {rows} rows" in out, out

    baseline_url = await pg.new_database()
    target = await PostgresDatabase.open(baseline_url)  # migrations first, as migrate-db's target has them
    try:
        started = time.monotonic()
        async with target._pool.acquire() as conn:
            await conn.copy_records_to_table(
                "jobs",
                records=jobs,
                columns=[
                    "id",
                    "guild_id",
                    "channel_id",
                    "user_id",
                    "action",
                    "request",
                    "state",
                    "task_id",
                    "submitted_at",
                    "created_at",
                ],
            )
            await conn.copy_records_to_table(
                "videos",
                records=videos,
                columns=[
                    "video_id",
                    "guild_id",
                    "user_id",
                    "channel_id",
                    "job_id",
                    "task_id",
                    "action",
                    "prompt",
                    "video_url",
                    "created_at",
                ],
            )
        copy_seconds = time.monotonic() - started
    finally:
        await target.close()
    return {"seconds": seconds, "copy_seconds": copy_seconds}
