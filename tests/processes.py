"""`luma-bot run` as its own process against the fakes in the test's process: the owner's way to run it."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bot.luma.fake import FakeLuma
from bot.web.serving import free_port

from .fakes.discord import FakeDiscord
from .helpers import clean_env, eventually


class Stage:
    """The fakes in this process and the bot's environment."""

    def __init__(self, tmp_path: Path, discord: FakeDiscord, luma: FakeLuma) -> None:
        self.tmp_path, self.discord, self.luma = tmp_path, discord, luma
        self.guild = discord.add_guild()
        self.channel = discord.guilds[self.guild]["channel_ids"][0]
        self.member = discord.add_user("member")
        discord.add_member(self.guild, self.member)

    def env(self, **extra: str) -> dict[str, str]:
        settings = {
            "DISCORD_TOKEN": "d-token",
            "ACEDATACLOUD_API_TOKEN": "l-token",
            "ACEDATACLOUD_API_BASE_URL": self.luma.url,
            "DISCORD_API_BASE": self.discord.api_base,
            "DISCORD_GATEWAY_URL": self.discord.gateway_url,
            "DATABASE_PATH": str(self.tmp_path / "data" / "bot.sqlite3"),
            "WORK_DIR": str(self.tmp_path),
            "WEB_PORT": str(free_port()),
            "POLL_FIRST_DELAY": "0.2",
            "POLL_INTERVAL": "0.2",
            "POLL_RATE": "20",
        }
        return clean_env(**{**settings, **extra})


@asynccontextmanager
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    discord = await FakeDiscord(token="d-token").start()
    luma = await FakeLuma(token="l-token", delay=0.3).start()
    try:
        yield Stage(tmp_path, discord, luma)
    finally:
        await luma.stop()
        await discord.stop()


async def start(
    env: dict[str, str], *args: str, preexec_fn: Callable[[], None] | None = None
) -> asyncio.subprocess.Process:
    """`luma-bot run` (or another command) in a folder of its own: no .env of the developer's is read."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *(args or ("run",)),
        env=env,
        cwd=env["WORK_DIR"],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        preexec_fn=preexec_fn,
    )


async def until_healthy(env: dict[str, str], proc: asyncio.subprocess.Process) -> None:
    url = f"http://127.0.0.1:{env['WEB_PORT']}/healthz"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:

        async def healthy() -> bool:
            assert proc.returncode is None, "the bot stopped"
            try:
                async with http.get(url) as r:
                    return r.status == 200
            except aiohttp.ClientError:
                return False

        await eventually(healthy, timeout=20, every=0.05, what="the bot to become healthy")


async def finish(proc: asyncio.subprocess.Process, timeout: float = 20) -> tuple[int, str]:
    """Wait for the process to end by itself (or after SIGTERM if it is still running); its output."""
    try:
        out = (await asyncio.wait_for(proc.communicate(), timeout))[0]
    except TimeoutError:
        proc.kill()
        out = (await proc.communicate())[0]
        raise AssertionError(f"the process did not stop within {timeout}s:\n{out.decode()[-3000:]}") from None
    return proc.returncode or 0, out.decode()


async def stop(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    return await finish(proc)


def videos(discord: FakeDiscord) -> list[dict[str, Any]]:
    return [m for m in discord.messages.values() if "Video ID" in str(m.get("embeds"))]
