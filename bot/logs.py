"""Logging set-up: the bot's own level (and one per module), libraries kept quiet about secrets, floods bounded, and
the lines as text or as one JSON object each (LOG_FORMAT=json), with the job, server and task of a line as fields.

A stranger can make some lines repeat without end (asyncio's "socket.accept() out of system resource",
aiohttp's "Error handling request", a callback refused per request). `RepeatLimit` lets each kind of line
through a few times a minute and then says once how many it held back.
"""

from __future__ import annotations

import json
import logging
import resource
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["JsonLines", "RepeatLimit", "configure_logging", "raise_open_file_limit"]

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


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and the job, guild and task of any argument that
    names them (`log_fields()`, as a Job does: its repr stays in the message too), the exception as text."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        args = record.args.values() if isinstance(record.args, Mapping) else record.args or ()
        for arg in args if isinstance(args, Iterable) else ():
            fields = getattr(arg, "log_fields", None)
            if callable(fields):
                for key, value in fields().items():
                    if value is not None:
                        line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(level: str, fmt: str = "text", levels: Iterable[tuple[str, str]] = ()) -> None:
    """LOG_LEVEL for the bot's own modules, LOG_LEVELS for one module each; below INFO only for the bot's own (the
    libraries log secrets at DEBUG: a library asked for DEBUG stays at INFO, and the log says so)."""
    chosen = getattr(logging, level, logging.INFO)
    root = logging.getLogger()
    logging.basicConfig(level=max(logging.INFO, chosen), format=TEXT)
    if fmt == "json":
        for handler in root.handlers:
            handler.setFormatter(JsonLines())
    for name in OWN:
        logging.getLogger(name).setLevel(chosen)
    for name, value in levels:
        wanted = getattr(logging, value, logging.INFO)
        own = name in OWN or name.startswith(tuple(f"{o}." for o in OWN))
        if wanted < logging.INFO and not own:
            log.warning("LOG_LEVELS: %s stays at INFO (a library may log secrets below it)", name)
            wanted = logging.INFO
        logging.getLogger(name).setLevel(wanted)
    limit = RepeatLimit()
    for handler in root.handlers:
        handler.setLevel(logging.NOTSET)
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
