from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.luma import LumaClient, RetryPolicy
from bot.luma.fake import FakeLuma
from bot.store import Database

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"  # copies of ../shared/fixtures: the seed's real responses
TOKEN = "test-token-123"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


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


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()
