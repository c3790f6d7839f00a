"""The bot: a commands.Bot whose setup_hook opens every resource once, and the run/sync entry points."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import signal
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.callbacks import CallbackSigner
from bot.clock import Clock, system_clock
from bot.config import Secret, Settings
from bot.delivery import Delivery
from bot.jobs import Cadence, JobService
from bot.luma import LumaClient
from bot.quota import Limits, QuotaService
from bot.store import Database, GuildStore, QuotaStore
from bot.ui import ExtendButton
from bot.web import WebServer

__all__ = ["LumaBot", "configure_discord_endpoints", "run_bot", "sync_commands"]

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.luma",)


class StartupError(Exception):
    """Start-up cannot go on; the message says what the owner should change."""


def configure_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at a Discord-compatible server (the tests' fake), through settings only."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class LumaBot(commands.Bot):
    def __init__(self, settings: Settings, *, clock: Clock = system_clock, sync_only: bool = False) -> None:
        configure_discord_endpoints(settings)
        intents = discord.Intents.default()
        intents.message_content = settings.message_content_intent
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True, replied_user=True),
            max_messages=200,
        )
        self.settings = settings
        self.clock = clock
        self.sync_only = sync_only
        self.session: aiohttp.ClientSession | None = None
        self.db: Database | None = None
        self.web: WebServer | None = None
        self._shutdown: asyncio.Future[None] | None = None

    # services, available once setup_hook ran
    jobs: JobService
    quota: QuotaService
    guild_store: GuildStore
    delivery: Delivery
    open_extend_modal: Callable[[discord.Interaction[Any], str], Awaitable[None]]  # set by the luma cog

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.sync_only:
            return
        settings = self.settings
        assert settings.api_token is not None
        self.session = aiohttp.ClientSession()
        try:
            self.db = await Database.open(settings.database_path, clock=self.clock)
        except (OSError, sqlite3.Error) as exc:
            raise StartupError(
                f"the database at {settings.database_path} cannot be opened ({exc}): check DATABASE_PATH"
            ) from None
        secret = settings.callback_secret or await self._stored_callback_secret()
        signer = CallbackSigner(secret, settings.public_base_url)
        luma = LumaClient(self.session, settings.api_base, settings.api_token)
        self.quota = QuotaService(self.db, QuotaStore(self.db), Limits.from_settings(settings))
        self.guild_store = GuildStore(self.db)
        self.delivery = Delivery(self)
        cadence = Cadence(
            first=settings.poll_first_delay,
            interval=settings.poll_interval,
            max_interval=settings.poll_max_interval,
            callback_interval=settings.callback_poll_interval,
            timeout=settings.job_timeout,
            requests_per_second=settings.poll_rate,
            progress_interval=settings.progress_interval,
        )
        self.jobs = JobService(
            self.db, luma, self.quota, cadence=cadence, callback_url_for=signer.url_for, listener=self.delivery
        )
        self.web = WebServer(self.jobs, signer, host=settings.web_host, port=settings.web_port, ready=self.is_ready)
        try:
            await self.web.start()
        except OSError as exc:
            raise StartupError(
                f"the web server cannot listen on {settings.web_host}:{settings.web_port} ({exc.strerror}): "
                "set WEB_HOST/WEB_PORT to a free address"
            ) from None
        self.add_dynamic_items(ExtendButton)
        await self.sync_commands(settings.dev_guild_id, only_if_changed=True)
        await self.jobs.start()
        mode = f"callbacks to {settings.public_base_url}" if settings.callbacks_enabled else "polling"
        log.info("luma-bot is set up (%s, %d jobs in flight)", mode, self.jobs.in_flight)

    async def _stored_callback_secret(self) -> Secret:
        assert self.db is not None
        value = await self.db.get_meta("callback_secret")
        if value is None:
            value = secrets.token_urlsafe(32)
            await self.db.set_meta("callback_secret", value)
        return Secret(value)

    # --- command sync: explicit, or at start only when the tree changed ---------------------------

    def _sync_scope(self, guild_id: int | None) -> discord.Object | None:
        if guild_id is None:
            return None
        guild = discord.Object(guild_id)
        self.tree.copy_global_to(guild=guild)
        return guild

    def command_hash(self, guild: discord.Object | None) -> str:
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)]
        text = json.dumps(sorted(payload, key=lambda c: (c.get("type", 1), c["name"])), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    async def sync_commands(
        self, guild_id: int | None, *, only_if_changed: bool = False
    ) -> list[app_commands.AppCommand] | None:
        """Register the commands (globally, or in one guild) and remember their hash; with
        `only_if_changed`, do nothing when the hash matches the last sync (Discord rate-limits syncs)."""
        guild = self._sync_scope(guild_id)
        key, current = f"command_hash:{guild_id or 'global'}", self.command_hash(guild)
        if only_if_changed and self.db is not None and await self.db.get_meta(key) == current:
            log.info("slash commands unchanged; not syncing")
            return None
        synced = await self.tree.sync(guild=guild)
        if self.db is not None:
            await self.db.set_meta(key, current)
        log.info("synced the slash commands %s", f"to guild {guild_id}" if guild_id else "globally")
        return synced

    # --- lifecycle --------------------------------------------------------------------------------

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("connected as %s (%d guilds)", self.user, len(self.guilds))

    async def close(self) -> None:
        """Graceful and idempotent (a signal and `async with` may both ask): stop taking work, finish
        writes, close the session and the database. Jobs still in flight resume at the next start."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_once())
        await asyncio.shield(self._shutdown)

    async def _close_once(self) -> None:
        if getattr(self, "jobs", None) is not None:
            await self.jobs.stop()
        if self.web is not None:
            await self.web.stop()
        await super().close()
        if self.session is not None:
            await self.session.close()
        if self.db is not None:
            await self.db.close()


async def _run(settings: Settings) -> None:
    bot = LumaBot(settings)
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []  # kept referenced until done

    def stop(*_: Any) -> None:
        if not closing:
            log.info("stopping (jobs in flight resume at the next start)")
            closing.append(loop.create_task(bot.close()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
        except NotImplementedError:  # pragma: no cover (Windows)
            pass
    assert settings.discord_token is not None
    try:
        async with bot:
            await bot.start(settings.discord_token.get())
        await bot.close()  # `async with` skips it once discord.py counts as closed: wait for ours to finish
    except StartupError as exc:
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
