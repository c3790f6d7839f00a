"""The bot: a commands.Bot whose setup_hook opens every resource once, and the run/sync entry points."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import resource
import secrets
import signal
import sqlite3
import time
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.app.servers import serves, turn_away
from bot.app.translator import CatalogTranslator
from bot.app.tree import LumaTree
from bot.clock import Clock, system_clock
from bot.config import Secret, Settings
from bot.delivery.modlog import ModLog
from bot.delivery.posting import Delivery
from bot.extras import MissingExtra, needs_extra
from bot.guilds.quota import Limits, QuotaService
from bot.jobs.service import Cadence, JobService
from bot.luma import LumaClient
from bot.media import Archiver, Links, MediaRoute, Shelf, ShelfError, open_shelf
from bot.media.destinations import Destinations
from bot.media.frames import Frames
from bot.media.links import use_discord_cdn
from bot.moderation import Moderation
from bot.moderation.wallet import Wallet
from bot.store import AlreadyRunning, Database, GuildStore, InstanceLock, ModerationStore, QuotaStore
from bot.store.opening import open_database
from bot.web.callbacks import CallbackSigner
from bot.web.metrics import Metrics
from bot.web.server import WebServer
from bot.web.serving import ConnectionGuard

__all__ = ["LumaBot", "configure_discord_endpoints", "run_bot", "sync_commands"]

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.luma",)
GATEWAY_GRACE = 10.0  # seconds without the gateway before /healthz says so (discord.py reconnects in that time)
DISCORD_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # between tries to reach Discord at start

# A bot without voice: discord.py's warnings about PyNaCl and davey at every start are only noise.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class StartupError(Exception):
    """Start-up cannot go on; the message says what the owner should change."""


def configure_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at a Discord-compatible server (the tests' fake), through settings only."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
    use_discord_cdn(settings.discord_cdn_url)


class LumaBot(commands.AutoShardedBot):
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
            tree_cls=LumaTree,
            shard_count=settings.shard_count,  # None: Discord's recommendation
            # every command: in servers only, and only where the bot was added to the server; even if the owner
            # switches User Install on, no command is offered in DMs or in servers without the bot (they cost money)
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
        )
        self.settings = settings
        self.clock = clock
        self.sync_only = sync_only
        self.session: aiohttp.ClientSession | None = None
        self.media_session: aiohttp.ClientSession | None = None  # downloads of given links (bot/media/destinations.py)
        self.db: Database | None = None
        self.web: WebServer | None = None
        self.metrics = Metrics()
        self.links = Links(settings.public_base_url)  # which link of a video to show (bot/media/links.py)
        self.instance_lock = InstanceLock(settings.database_path)
        self._shutdown: asyncio.Future[None] | None = None
        self._connected = False
        self._gateway_lost_at: float | None = None
        self.owner_locale: str | None = None  # known once the application's owner has used a command
        self._max_concurrency: int | None = None  # Discord's identify concurrency (GET /gateway/bot)
        self._lock_watch: asyncio.Task[None] | None = None  # keeps PostgreSQL's one-bot lock (store/postgres.py)
        self.exit_code = 0  # what `luma-bot run` exits with once the bot stopped by itself
        self._stopping_task: asyncio.Future[None] | None = None

    # services, available once setup_hook ran
    jobs: JobService
    quota: QuotaService
    guild_store: GuildStore
    delivery: Delivery
    moderation: Moderation
    mod_log: ModLog
    frames: Frames

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CatalogTranslator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.sync_only:
            return
        settings = self.settings
        assert settings.api_token is not None
        await self._open_database()
        secret = settings.callback_secret or await self._stored_callback_secret()
        signer = CallbackSigner(secret, settings.public_base_url)
        luma = LumaClient(self.session, settings.api_base, settings.api_token)
        wallet = Wallet.from_settings(settings)
        self.quota = QuotaService(self.db, QuotaStore(self.db), Limits.from_settings(settings), wallet)
        self.guild_store = GuildStore(self.db)
        self.moderation = Moderation(self.db, ModerationStore(self.db), self.guild_store)
        self.mod_log = ModLog(self)
        self.delivery = Delivery(self)
        cadence = Cadence(
            first=settings.poll_first_delay,
            interval=settings.poll_interval,
            max_interval=settings.poll_max_interval,
            callback_interval=settings.callback_poll_interval,
            timeout=settings.job_timeout,
            requests_per_second=settings.poll_rate,
            progress_interval=settings.progress_interval,
            record_grace=settings.task_record_grace,
            late_interval=settings.late_poll_interval,
            late_window=settings.late_result_window,
        )
        self.jobs = JobService(
            self.db,
            luma,
            self.quota,
            cadence=cadence,
            callback_url_for=signer.url_for,
            listener=self.delivery,
            max_in_flight=settings.luma_max_in_flight,
            queue_timeout=settings.queue_timeout,
        )
        shelf = await self._open_shelf()
        # the downloads of links the bot was given have a session of their own: public addresses only
        destinations = Destinations([settings.api_base, settings.discord_cdn_url])
        self.media_session = aiohttp.ClientSession(connector=destinations.connector())
        self.archiver = Archiver(
            self.media_session,
            self.jobs.media,
            settings.media_path,
            max_bytes=settings.media_max_file_mb * 1024 * 1024,
            max_total_bytes=None if settings.media_max_gb is None else int(settings.media_max_gb * 1024**3),
            retry_every=settings.media_retry_interval,
            shelf=shelf,
            destinations=destinations,
        )
        self.jobs.copy = self.archiver.copy
        self.frames = Frames(
            self.db,
            base_url=settings.public_base_url,
            upload_lifetime=settings.upload_link_lifetime,
            keep=self.archiver.keep_files,
            clock=self.clock,
        )
        self.jobs.frames = self.frames
        self.jobs.archive_wait = settings.archive_wait
        self.jobs.delivery_seconds = self.metrics.delivery_seconds
        self.jobs.wait_seconds = self.metrics.wait_seconds
        line = self.jobs.line
        self.metrics.watch(
            self.jobs.stats,
            {
                "jobs_in_flight": lambda: self.jobs.in_flight,
                "line_waiting": lambda: len(line.waiting),
                "slots_in_use": lambda: len(line.rendering),
                "slots_cap": lambda: line.cap,
            },
        )
        # never let the web port take the descriptors Discord and the database need
        open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        cap = min(settings.web_max_connections, max(16, open_files // 4))
        guard = ConnectionGuard(max_connections=cap, request_deadline=settings.web_request_timeout)
        self.web = WebServer(
            self.jobs,
            signer,
            host=settings.web_host,
            port=settings.web_port,
            health=self.health,
            metrics=self.metrics,
            metrics_public=settings.metrics_public,
            metrics_token=settings.metrics_token.get() if settings.metrics_token else None,
            guard=guard,
            media=(
                MediaRoute(
                    self.jobs.videos,
                    self.jobs.media,
                    shelf,
                    self.frames,
                    max_streams=min(settings.media_max_streams, max(1, cap // 2)),  # never every connection
                    send_timeout=settings.media_send_timeout,
                )
                if settings.public_base_url
                else None
            ),
        )
        try:
            await self.web.start()
        except OSError as exc:
            raise StartupError(
                f"the web server cannot listen on {settings.web_host}:{settings.web_port} ({exc.strerror}): "
                "set WEB_HOST/WEB_PORT to a free address"
            ) from None
        await self.sync_commands(settings.dev_guild_id, only_if_changed=True)
        await self.jobs.start()
        await self.archiver.resume()
        self.archiver.start_sweeps()
        mode = f"callbacks to {settings.public_base_url}" if settings.callbacks_enabled else "polling"
        log.info("luma-bot is set up (%s, %d jobs in flight)", mode, self.jobs.in_flight)

    async def public_locale(self, guild_id: int | None) -> str | None:
        """The language of a server's public messages: its admins' choice (`/luma-admin settings language`),
        else the server's own locale (Discord's preferred_locale), else English."""
        if guild_id is None:
            return None
        settings = await self.guild_store.get(guild_id)
        if settings.language:
            return settings.language
        guild = self.get_guild(guild_id)
        return str(guild.preferred_locale) if guild is not None else None

    async def _open_shelf(self) -> Shelf:
        """Where the kept copies go: MEDIA_DIR, or the bucket of MEDIA_S3_BUCKET (reached once at start, so a
        wrong key or name is said now, in one sentence, not at the first video)."""
        try:
            return await open_shelf(self.settings)
        except ShelfError as exc:
            raise StartupError(str(exc)) from None

    async def _open_database(self) -> None:
        """Take the one-bot-per-database lock, then open (and migrate) SQLite or PostgreSQL."""
        settings = self.settings
        where, setting = settings.database_name, "DATABASE_URL" if settings.database_url else "DATABASE_PATH"

        def cannot_open(detail: object) -> StartupError:
            return StartupError(f"the database at {where} cannot be opened ({detail}): check {setting}")

        def from_asyncpg(exc: BaseException) -> bool:  # a wrong password, no such database, refused
            return type(exc).__module__.startswith("asyncpg")

        try:
            if settings.database_url:
                postgres = needs_extra("postgres", "bot.store.postgres", "DATABASE_URL")
                self.instance_lock = postgres.PostgresInstanceLock(settings.database_url)
                await self.instance_lock.acquire()
                self._lock_watch = asyncio.create_task(self.instance_lock.watch(self._lock_lost), name="lock-watch")
            else:
                self.instance_lock.acquire()
        except AlreadyRunning as exc:
            raise StartupError(
                f"another luma-bot (pid {exc}) is already running on the database at {where}: "
                "stop it first (two would both deliver, and bill, every video)"
            ) from None
        except OSError as exc:
            raise cannot_open(exc.strerror or exc) from None
        except Exception as exc:
            if not from_asyncpg(exc):
                raise
            raise cannot_open(exc) from None
        self.session = aiohttp.ClientSession()
        try:
            self.db = await open_database(settings.database_path, settings.database_url, clock=self.clock)
        except (OSError, sqlite3.Error) as exc:
            raise cannot_open(exc) from None
        except Exception as exc:
            if not from_asyncpg(exc):
                raise
            raise cannot_open(exc) from None

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Discord lets `max_concurrency` shards identify per 5 s (shard i in bucket i % max_concurrency; large
        bots get 16); discord.py's default waits 5 s before every shard's. Wait only when a bucket comes round."""
        if initial or shard_id is None:
            return
        if self._max_concurrency is None:
            self._max_concurrency = max(1, (await self.fetch_session_start_limits()).max_concurrency)
        if shard_id % self._max_concurrency == 0:
            await asyncio.sleep(5.0)

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

    async def command_hash(self, guild: discord.Object | None) -> str:
        """The hash of what a sync would send, translations included: new translations sync as a change."""
        translator = self.tree.translator
        commands = self.tree.get_commands(guild=guild)
        if translator is not None:
            payload = [await c.get_translated_payload(self.tree, translator) for c in commands]
        else:
            payload = [c.to_dict(self.tree) for c in commands]
        text = json.dumps(sorted(payload, key=lambda c: (c.get("type", 1), c["name"])), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    async def sync_commands(
        self, guild_id: int | None, *, only_if_changed: bool = False
    ) -> list[app_commands.AppCommand] | None:
        """Register the commands (globally, or in one guild) and remember their hash; with
        `only_if_changed`, do nothing when the hash matches the last sync (Discord rate-limits syncs)."""
        guild = self._sync_scope(guild_id)
        key, current = f"command_hash:{guild_id or 'global'}", await self.command_hash(guild)
        if only_if_changed and self.db is not None and await self.db.get_meta(key) == current:
            log.info("slash commands unchanged; not syncing")
            return None
        synced = await self.tree.sync(guild=guild)
        if self.db is not None:
            await self.db.set_meta(key, current)
        log.info("synced the slash commands %s", f"to guild {guild_id}" if guild_id else "globally")
        return synced

    # --- lifecycle --------------------------------------------------------------------------------

    def _lock_lost(self, holder: str) -> None:
        """Another bot took the database while this one's lock connection was down: two would both deliver, and
        bill, every video, so this one stops."""
        log.error(
            "another luma-bot (pid %s) took the database while this one's lock connection was down; stopping "
            "(two would both deliver, and bill, every video)",
            holder,
        )
        self.exit_code = 2
        self._stopping_task = asyncio.ensure_future(self.close())

    async def on_ready(self) -> None:
        assert self.user is not None
        self._gateway_up()
        log.info("connected as %s (%d guilds)", self.user, len(self.guilds))
        for guild in self.guilds:  # added while the bot was away
            if not self.serves(guild.id):
                await turn_away(self, guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        if not self.serves(guild.id):
            await turn_away(self, guild)

    def serves(self, guild_id: int | None) -> bool:
        """Whether the bot makes videos for this server (ALLOWED_GUILDS; bot/servers.py)."""
        return serves(self.settings.allowed_guilds, guild_id)

    async def on_resumed(self) -> None:
        self._gateway_up()

    async def on_disconnect(self) -> None:
        if self._connected and self._shutdown is None:
            log.warning("lost the connection to Discord's gateway; reconnecting")
        self._connected = False
        if self._gateway_lost_at is None:
            self._gateway_lost_at = time.monotonic()

    def _gateway_up(self) -> None:
        if self._gateway_lost_at is not None:
            log.info("connected to Discord's gateway again")
        self._connected, self._gateway_lost_at = True, None

    async def health(self) -> str | None:
        """None when healthy; else the problem, for /healthz (and so the container's HEALTHCHECK)."""
        if not self._connected and not self.is_ready():
            return "not connected to Discord yet"
        if self._gateway_lost_at is not None and time.monotonic() - self._gateway_lost_at > GATEWAY_GRACE:
            since = time.monotonic() - self._gateway_lost_at
            return f"no connection to Discord's gateway for {since:.0f}s"
        if self.db is None:
            return "the database is not open"
        problem = await self.db.probe()
        return f"the database is unusable: {problem}" if problem else None

    async def close(self) -> None:
        """Graceful and idempotent (a signal and `async with` may both ask): stop taking work, finish
        writes, close the session and the database. Jobs still in flight resume at the next start."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_once())
        await asyncio.shield(self._shutdown)

    async def _close_once(self) -> None:
        if getattr(self, "jobs", None) is not None:
            await self.jobs.stop()
        if getattr(self, "archiver", None) is not None:
            await self.archiver.stop()
            await self.archiver.shelf.close()
        if self.web is not None:
            await self.web.stop()
        await super().close()
        for session in (self.session, self.media_session):
            if session is not None:
                await session.close()
        if self.db is not None:
            await self.db.close()
        if self._lock_watch is not None:
            self._lock_watch.cancel()
            await asyncio.gather(self._lock_watch, return_exceptions=True)
        released = self.instance_lock.release()
        if released is not None:  # PostgreSQL's lock is released over its connection
            await released


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
