from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.luma import LumaClient, RetryPolicy
from bot.luma.fake import FakeLuma
from bot.store import Database
from bot.store.postgres import PostgresDatabase

from .pg import PostgresServer
from .s3 import S3Server

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"  # copies of ../shared/fixtures: the seed's real responses
TOKEN = "test-token-123"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


WATCHDOG = float(os.environ.get("LUMA_TEST_WATCHDOG", "120"))  # seconds: a test still running then is stuck


@pytest.fixture(autouse=True)
async def watchdog(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """A test that hangs fails after WATCHDOG seconds with the stack of every task still running (what it was
    waiting on), instead of holding CI until its time runs out."""
    loop = asyncio.get_running_loop()

    def expire() -> None:
        out = io.StringIO()
        out.write(f"watchdog: {request.node.nodeid} still running after {WATCHDOG:.0f} s; its tasks:\n")
        for task in asyncio.all_tasks(loop):
            out.write(f"- {task.get_name()}:\n")
            awaited: Any = task.get_coro()
            while awaited is not None:  # down the chain of awaits: where it really waits
                frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
                if frame is not None:
                    out.write(f"    {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}\n")
                awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
        sys.stderr.write(out.getvalue())
        for task in asyncio.all_tasks(loop):
            if task is not asyncio.current_task():
                task.cancel(f"watchdog: stuck for {WATCHDOG:.0f} s")

    handle = loop.call_later(WATCHDOG, expire)
    yield
    handle.cancel()


@pytest.fixture
async def fake_luma() -> AsyncIterator[FakeLuma]:
    async with FakeLuma(token=TOKEN, delay=0.05) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def fast_retry() -> RetryPolicy:
    return RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def luma(fake_luma: FakeLuma, http: aiohttp.ClientSession, fast_retry: RetryPolicy) -> LumaClient:
    return LumaClient(http, fake_luma.url, TOKEN, retry=fast_retry)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session (tests/pg.py)."""
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One real S3-compatible server for the session (tests/s3.py)."""
    server = S3Server().start()
    yield server
    server.stop()


def _worlds_on(request: pytest.FixtureRequest, setting: str, server: str, when: str) -> Iterator[str]:
    """While the test runs, `harness.<setting>` is the session's `server` when the parameter is `when`."""
    from . import harness

    setattr(harness, setting, request.getfixturevalue(server) if request.param == when else None)
    try:
        yield request.param
    finally:
        setattr(harness, setting, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def both_databases(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test's Worlds on SQLite, then on a real PostgreSQL (a module opts in with
    `pytestmark = pytest.mark.usefixtures("both_databases")`)."""
    yield from _worlds_on(request, "POSTGRES", "postgres", "postgresql")


@pytest.fixture(params=["disk", "s3"])
def both_shelves(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test's Worlds with their copies in MEDIA_DIR, then in a bucket of a real S3-compatible server."""
    yield from _worlds_on(request, "S3", "s3_server", "s3")


@pytest.fixture(params=["sqlite", "postgresql"])
def open_db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Opens a fresh database on SQLite or on a real PostgreSQL (the test runs on both), with a clock."""

    async def opener(clock: Any = None) -> Any:
        kwargs = {"clock": clock} if clock is not None else {}
        if request.param == "sqlite":
            return await Database.open(tmp_path / f"{id(kwargs)}.sqlite3", **kwargs)
        server = request.getfixturevalue("postgres")
        return await PostgresDatabase.open(await server.new_database(), **kwargs)

    return opener


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The store, on SQLite and on a real PostgreSQL: every store test runs on both."""
    if request.param == "sqlite":
        database: Any = await Database.open(tmp_path / "bot.sqlite3")
    else:
        server = request.getfixturevalue("postgres")
        database = await PostgresDatabase.open(await server.new_database())
    yield database
    await database.close()
