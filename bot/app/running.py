"""`luma-bot run` and `luma-bot sync`: wait for Discord, run the bot until a signal (or until it stops by itself),
and turn every start-up problem into one sentence and exit 2."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

import aiohttp
import discord

from bot.config import Settings
from bot.extras import MissingExtra

from .bot import LumaBot
from .opening import StartupError

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


async def _run(settings: Settings) -> None:
    bot = LumaBot(settings)
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []  # kept referenced until done
    state = {"stopping": False, "entered": False}  # a signal may come before discord.py's client is set up

    waiting = loop.create_task(wait_for_discord(settings))

    def stop(*_: Any) -> None:
        waiting.cancel()
        if not state["stopping"]:
            log.info("stopping (jobs in flight resume at the next start)")
        state["stopping"] = True
        if state["entered"] and not closing:
            closing.append(loop.create_task(bot.close()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
        except NotImplementedError:  # pragma: no cover (Windows)
            pass
    assert settings.discord_token is not None
    try:
        try:
            await waiting
        except asyncio.CancelledError:
            if not state["stopping"]:
                raise
            return  # stopped before Discord could be reached: nothing was opened
        async with bot:
            state["entered"] = True
            if state["stopping"]:
                return
            await bot.start(settings.discord_token.get())
        await bot.close()  # `async with` skips it once discord.py counts as closed: wait for ours to finish
        if bot.exit_code:
            raise SystemExit(bot.exit_code)
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
    finally:
        if state["entered"]:
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
