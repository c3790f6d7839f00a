"""Logging set-up: the bot's own level, libraries kept quiet about secrets, and floods bounded.

A stranger can make some lines repeat without end (asyncio's "socket.accept() out of system resource",
aiohttp's "Error handling request", a callback refused per request). `RepeatLimit` lets each kind of line
through a few times a minute and then says once how many it held back.
"""

from __future__ import annotations

import logging
import resource
import time

__all__ = ["RepeatLimit", "configure_logging", "raise_open_file_limit"]

log = logging.getLogger(__name__)

# Libraries log secrets at DEBUG (discord.py: webhook URLs and gateway payloads carry interaction tokens;
# aiosqlite and asyncpg: SQL parameters; botocore: signed requests, with the bucket's keys and session token).
# LOG_LEVEL=DEBUG is for the bot's own modules, and only those: every other logger stays at INFO or above.
OWN = ("bot", "cogs")
LIMITED = ("asyncio", "aiohttp", "bot.web")


class RepeatLimit(logging.Filter):
    """At most `burst` records of one kind (logger and message template) per `window` seconds."""

    def __init__(self, burst: int = 5, window: float = 60.0) -> None:
        super().__init__()
        self.burst, self.window = burst, window
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = time.monotonic()
        start, count = self._seen.get(key, (now, 0))
        if now - start >= self.window:
            if count > self.burst:
                record.msg = f"{record.msg} [and {count - self.burst} more like it in the last {self.window:.0f}s]"
            start, count = now, 0
        count += 1
        self._seen[key] = (start, count)
        if len(self._seen) > 1000:  # bounded, whatever the variety of messages
            self._seen.clear()
        return count <= self.burst


def configure_logging(level: str) -> None:
    chosen = getattr(logging, level, logging.INFO)
    logging.basicConfig(level=max(logging.INFO, chosen), format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    for name in OWN:
        logging.getLogger(name).setLevel(chosen)
    limit = RepeatLimit()
    for handler in logging.getLogger().handlers:
        handler.addFilter(lambda record: not record.name.startswith(LIMITED) or limit.filter(record))


def raise_open_file_limit() -> int:
    """Raise the soft limit on open files to the hard one where allowed; return the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            log.info("raised the open-file limit from %d to %d", soft, target)
            soft = target
        except (ValueError, OSError) as exc:
            log.info("could not raise the open-file limit (%d): %s", soft, exc)
    return soft
