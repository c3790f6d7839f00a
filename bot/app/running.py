"""`luma-bot run` and `luma-bot sync`: wait for Discord, run the bot until a signal (or until it stops by itself),
and turn every start-up problem into one sentence and exit 2."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import Any

import aiohttp
import discord

from bot.config import Settings
from bot.extras import MissingExtra

from .bot import LumaBot
from .opening import StartupError
from .standby import StandbyStopped

__all__ = ["run_bot", "sync_commands", "wait_for_discord"]

log = logging.getLogger(__name__)

DISCORD_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # between tries to reach Discord at start


async def wait_for_discord(settings: Settings) -> None:
    """At start, wait until Discord answers at all (the network may not be up yet, DNS may hiccup): one
    line per try, with back-off. Any HTTP answer will do; whether the token is good is login's to say."""
    url = (settings.discord_api_base or "https://discord.com/api/v10") + "/gateway"
    attempt = 0
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
                    await response.read()
                    if attempt:
                        log.info("Discord answers again")
                    return
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                pause = DISCORD_PAUSES[min(attempt, len(DISCORD_PAUSES) - 1)]
                reason = getattr(exc, "os_error", None) or type(exc).__name__
                log.warning("Discord cannot be reached (%s); trying again in %.0fs", reason, pause)
                attempt += 1
                await asyncio.sleep(pause)


class _Stopper:
    """SIGINT and SIGTERM: before Discord is reached the wait is cancelled (nothing was opened); after, the bot
    closes, once. A signal may come before discord.py's client is set up (`entered`)."""

    def __init__(self, bot: LumaBot, waiting: asyncio.Task[None]) -> None:
        self.bot, self.waiting = bot, waiting
        self.stopping = self.entered = False
        self.closing: list[asyncio.Task[None]] = []  # kept referenced until done

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self)
            except NotImplementedError:  # pragma: no cover (Windows)
                pass

    def __call__(self, *_: Any) -> None:
        self.waiting.cancel()
        if not self.stopping:
            if self.entered:
                log.info("stopping (jobs in flight resume at the next start)")
            else:
                log.info("stopping before Discord was reached: nothing was started")
        self.stopping = True
        if self.entered and not self.closing:
            self.closing.append(asyncio.get_running_loop().create_task(self.bot.close()))


@contextlib.contextmanager
def _refusals_end_the_process() -> Iterator[None]:
    """What stops the start for good (a setting, a token, an intent) is one line in the log and exit status 2."""
    try:
        yield
    except StandbyStopped:
        log.info("standby: stopped before taking over; nothing was started")
    except (StartupError, MissingExtra) as exc:
        log.error("%s", exc)
        raise SystemExit(2) from None
    except discord.LoginFailure:
        log.error("Discord refused DISCORD_TOKEN: check the token in the Developer Portal (Bot → Reset Token)")
        raise SystemExit(2) from None
    except discord.PrivilegedIntentsRequired:
        log.error(
            "MESSAGE_CONTENT_INTENT=true but the intent is off in the Developer Portal (Bot → Privileged Gateway "
            "Intents): switch it on there, or set MESSAGE_CONTENT_INTENT=false"
        )
        raise SystemExit(2) from None


async def _run(settings: Settings) -> None:
    bot = LumaBot(settings)
    stopper = _Stopper(bot, asyncio.get_running_loop().create_task(wait_for_discord(settings)))
    stopper.install(asyncio.get_running_loop())
    assert settings.discord_token is not None
    try:
        with _refusals_end_the_process():
            try:
                await stopper.waiting
            except asyncio.CancelledError:
                if not stopper.stopping:
                    raise
                return  # stopped before Discord could be reached: nothing was opened
            async with bot:
                stopper.entered = True
                if stopper.stopping:
                    return
                await bot.start(settings.discord_token.get())
            await bot.close()  # `async with` skips it once discord.py counts as closed: wait for ours to finish
            if bot.exit_code:
                raise SystemExit(bot.exit_code)
    finally:
        if stopper.entered:
            await bot.close()


def run_bot(settings: Settings) -> int:
    asyncio.run(_run(settings))
    return 0


async def sync_commands(settings: Settings, guild_id: int | None) -> int:
    """`luma-bot sync`: log in over REST only, register the commands, report them."""
    bot = LumaBot(settings, sync_only=True)
    assert settings.discord_token is not None
    async with bot:
        await bot.login(settings.discord_token.get())
        synced = await bot.sync_commands(guild_id) or []
    where = f"guild {guild_id}" if guild_id else "all guilds (global commands can take up to an hour to appear)"
    print(f"synced {len(synced)} commands to {where}: {', '.join(sorted(c.name for c in synced))}")
    return 0
