"""A standby that takes over (#24): two real `luma-bot run` processes on one real PostgreSQL; the active one is
killed (-9) mid-render, or cut from the database; the standby takes the database within STANDBY_TAKEOVER and
delivers every job that was rendering or waiting in line, once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import asyncpg

from bot.store.postgres import INSTANCE_LOCK
from bot.web.serving import free_port

from ..helpers import eventually
from ..processes import Stage, finish, stage, start, stop, until_healthy, videos

TAKEOVER = 6.0
HOLDER = (
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1"
)


def holds(admin: Any, pid: int) -> Any:
    """Whether the process `pid` holds the database's one-bot lock (an awaitable check, for `eventually`)."""

    async def check() -> bool:
        return bool(await admin.fetchval(HOLDER, INSTANCE_LOCK) == f"luma-bot pid {pid}")

    return check


def saw_the_standby(admin: Any, pid: int) -> Any:
    """Whether the active bot's lock connection has read the standby's heartbeat since it was written."""

    async def check() -> bool:
        beat = await admin.fetchval("SELECT value FROM meta WHERE key = 'standby_seen'")
        since = await admin.fetchval(
            "SELECT EXTRACT(EPOCH FROM query_start) FROM pg_stat_activity WHERE application_name = $1"
            " AND query LIKE '%standby_seen%'",
            f"luma-bot pid {pid}",
        )
        return beat is not None and since is not None and float(since) > float(beat)

    return check


async def taken_over_in_time(admin: Any, pid: int, since: float) -> None:
    """The standby holds the database within STANDBY_TAKEOVER of `since` (the active bot killed, or cut)."""
    await eventually(holds(admin, pid), timeout=20, every=0.05, what="the standby to hold the database")
    assert time.monotonic() - since <= TAKEOVER, "taken over within STANDBY_TAKEOVER"


async def health(env: dict[str, str]) -> dict[str, Any] | None:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            async with http.get(f"http://127.0.0.1:{env['WEB_PORT']}/healthz") as response:
                return dict(await response.json())
    except (aiohttp.ClientError, TimeoutError):
        return None


async def two_jobs(s: Stage) -> None:
    """One rendering at the API, one waiting in line behind it (LUMA_MAX_IN_FLIGHT=1)."""
    s.luma.auto_complete = False
    await s.discord.slash(s.guild, s.channel, s.member, ["luma", "generate"], {"prompt": "rendering at the takeover"})
    await s.discord.wait_for(lambda: s.luma.tasks)
    waiting = await s.discord.slash(
        s.guild, s.channel, s.member, ["luma", "generate"], {"prompt": "waiting in line at the takeover"}
    )
    await s.discord.wait_response(waiting)


async def delivered_once(s: Stage, url: str) -> None:
    """Both jobs end as videos, each posted once."""
    [first] = list(s.luma.tasks)
    s.luma.finish(first)
    await s.discord.wait_for(lambda: len(s.luma.tasks) == 2, timeout=20)  # the waiting one got the slot
    s.luma.finish(next(t for t in s.luma.tasks if t != first))
    conn = await asyncpg.connect(url)
    try:
        await eventually(
            lambda: conn.fetchval("SELECT COUNT(*) = 2 FROM jobs WHERE delivered_at IS NOT NULL"),
            timeout=20,
            what="both deliveries recorded",
        )
    finally:
        await conn.close()
    prompts = sorted(str(m["embeds"][0].get("description")) for m in videos(s.discord))
    assert len(prompts) == 2, prompts
    assert "rendering at the takeover" in prompts[0] and "waiting in line at the takeover" in prompts[1]


async def test_a_standby_takes_over_from_a_killed_bot_and_delivers_every_job_once(tmp_path: Any, postgres: Any) -> None:
    async with stage(tmp_path) as s:
        url = await postgres.new_database()
        env = s.env(DATABASE_URL=url, STANDBY_TAKEOVER=str(TAKEOVER), LUMA_MAX_IN_FLIGHT="1", QUOTA_MEMBER_COOLDOWN="0")
        standby_env = {**env, "WEB_PORT": str(free_port())}
        active = await start(env)
        standby = None
        admin = await asyncpg.connect(url)
        try:
            await until_healthy(env, active)
            await two_jobs(s)
            standby = await start(standby_env, "run", "--standby")
            said = await eventually(lambda: health(standby_env), timeout=20, what="the standby's /healthz")
            assert said == {"ready": False, "standby": True, "active": f"pid {active.pid}"}
            active.kill()
            await active.wait()
            await taken_over_in_time(admin, standby.pid, since=time.monotonic())
            await until_healthy(standby_env, standby)
            await delivered_once(s, url)
        finally:
            await admin.close()
            if active.returncode is None:
                await stop(active)
            if standby is not None:
                code, output = await stop(standby)
        assert code == 0, output
        lines = [line for line in output.splitlines() if "standby:" in line]
        assert len(lines) == 2 and f"luma-bot pid {active.pid} holds the database" in lines[0], lines
        assert "taking over the database" in lines[1]


async def test_a_standby_takes_over_from_a_bot_cut_from_the_database(tmp_path: Any, postgres: Any) -> None:
    """The active bot reaches PostgreSQL through a link that is then cut (both ends closed): the server frees its lock,
    the standby takes over, and the cut bot stops instead of going on beside it."""
    async with stage(tmp_path) as s:
        url = await postgres.new_database()
        link = await Link.open(url)
        env = s.env(
            DATABASE_URL=link.url, STANDBY_TAKEOVER=str(TAKEOVER), LUMA_MAX_IN_FLIGHT="1", QUOTA_MEMBER_COOLDOWN="0"
        )
        standby_env = {**env, "DATABASE_URL": url, "WEB_PORT": str(free_port())}
        active = await start(env)
        admin = await asyncpg.connect(url)
        await until_healthy(env, active)
        standby = await start(standby_env, "run", "--standby")
        try:
            await two_jobs(s)
            await eventually(lambda: health(standby_env), timeout=20, what="the standby's /healthz")
            await eventually(saw_the_standby(admin, active.pid), what="the active bot to read the standby's heartbeat")
            await link.cut()
            await taken_over_in_time(admin, standby.pid, since=time.monotonic())
            code, output = await finish(active, timeout=30)
            assert code == 2 and "cut from the database for longer than STANDBY_TAKEOVER while a standby" in output, (
                output
            )
            await until_healthy(standby_env, standby)
            await delivered_once(s, url)
        finally:
            await admin.close()
            await link.close()
            for proc in (active, standby):
                if proc.returncode is None:
                    await stop(proc)


class Link:
    """A TCP link to PostgreSQL on 127.0.0.1 that can be cut: every connection through it closed at both ends."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.cut_off = False
        self.url = ""

    @classmethod
    async def open(cls, url: str) -> Link:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        link = cls((parts.hostname or "127.0.0.1", parts.port or 5432))
        link.server = await asyncio.start_server(link._serve, "127.0.0.1", 0)
        port = link.server.sockets[0].getsockname()[1]
        link.url = url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{port}")
        return link

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, up_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        self.cut_off = True
        for writer in self.writers:
            writer.close()

    async def close(self) -> None:
        await self.cut()
        if self.server is not None:
            self.server.close()
