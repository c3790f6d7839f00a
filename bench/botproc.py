"""The real bot as an owner runs it (`python -m bot run`), in its own process, pointed at the fakes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class BotProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.port = int(env["WEB_PORT"])
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.started = 0.0

    async def start(self) -> None:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ACEDATACLOUD_", "QUOTA_"))}
        environ.update(self.env)
        environ["PYTHONPATH"] = str(ROOT)
        self.started = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=ROOT, env=environ, stdout=out, stderr=out
            )

    async def health(self, http: aiohttp.ClientSession) -> dict[str, Any] | None:
        try:
            async with http.get(f"http://127.0.0.1:{self.port}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                return await r.json()
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def wait(self, http: aiohttp.ClientSession, predicate: Any, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.returncode is not None:
                raise RuntimeError(f"the bot exited ({self.proc.returncode}); see {self.log}")
            health = await self.health(http)
            if health is not None and predicate(health):
                return health
            await asyncio.sleep(0.02)
        raise TimeoutError(f"the bot did not get there in time; see {self.log}")

    @property
    def rss(self) -> float:
        assert self.proc is not None
        return rss_mib(self.proc.pid)

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 20)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
