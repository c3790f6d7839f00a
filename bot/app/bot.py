"""LumaBot: the discord.py bot. Its setup_hook opens the resources and builds the services (opening.py, wiring.py)
and loads the cogs; it answers /healthz, keeps the commands synced, turns away the servers it does not serve, and
closes everything in order. Discord layer."""

from __future__ import annotations

import asyncio
import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.backups.nightly import Nightly
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.delivery.modlog import ModLog
from bot.delivery.outbox import Languages
from bot.delivery.posting import Delivery
from bot.gallery.pages import Gallery
from bot.guilds.admin import GuildAdmin
from bot.guilds.quota import QuotaService
from bot.guilds.tiers import Tiers
from bot.jobs.service import JobService
from bot.media import Archiver, Links
from bot.media.frames import Frames
from bot.media.links import use_discord_cdn
from bot.moderation import Moderation
from bot.showcase import Showcase
from bot.store import Database, GuildStore, JobStore, MediaStore, MemberStore, VideoStore
from bot.web.metrics import Metrics
from bot.web.server import WebServer

from .commands import sync_tree
from .opening import Resources, StartupError, open_resources
from .servers import serves, turn_away
from .translator import CatalogTranslator
from .tree import LumaTree
from .wiring import Services, build_services, nightly_backup

__all__ = ["LumaBot", "configure_discord_endpoints"]

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.luma",)
GATEWAY_GRACE = 10.0  # seconds without the gateway before /healthz says so (discord.py reconnects in that time)

# A bot without voice: discord.py's warnings about PyNaCl and davey at every start are only noise.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def configure_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at a Discord-compatible server (the tests' fake), through settings only."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base
    if settings.discord_gateway_url:
        import yarl

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
        self.metrics = Metrics()
        self.links = Links(settings.public_base_url)  # which link of a video to show (bot/media/links.py)
        self.resources: Resources | None = None
        self.services: Services | None = None
        self._shutdown: asyncio.Future[None] | None = None
        self._connected = False
        self._gateway_lost_at: float | None = None
        self._max_concurrency: int | None = None  # Discord's identify concurrency (GET /gateway/bot)
        self.exit_code = 0  # what `luma-bot run` exits with once the bot stopped by itself
        self._stopping_task: asyncio.Future[None] | None = None
        self.nightly: Nightly | None = None  # the nightly backup (BACKUP_DIR), and its loop
        self._nightly: asyncio.Task[None] | None = None

    # --- the services, once setup_hook has built them ---------------------------------------------

    def _service(self) -> Services:
        if self.services is None:
            raise AttributeError("the services are built in setup_hook")
        return self.services

    jobs: JobService = property(lambda self: self._service().jobs)  # type: ignore[assignment]
    quota: QuotaService = property(lambda self: self._service().quota)  # type: ignore[assignment]
    guild_store: GuildStore = property(lambda self: self._service().guild_store)  # type: ignore[assignment]
    moderation: Moderation = property(lambda self: self._service().moderation)  # type: ignore[assignment]
    languages: Languages = property(lambda self: self._service().languages)  # type: ignore[assignment]
    mod_log: ModLog = property(lambda self: self._service().mod_log)  # type: ignore[assignment]
    delivery: Delivery = property(lambda self: self._service().delivery)  # type: ignore[assignment]
    archiver: Archiver = property(lambda self: self._service().archiver)  # type: ignore[assignment]
    frames: Frames = property(lambda self: self._service().frames)  # type: ignore[assignment]
    videos: VideoStore = property(lambda self: self._service().videos)  # type: ignore[assignment]
    job_store: JobStore = property(lambda self: self._service().job_store)  # type: ignore[assignment]
    media: MediaStore = property(lambda self: self._service().media)  # type: ignore[assignment]
    guild_admin: GuildAdmin = property(lambda self: self._service().guild_admin)  # type: ignore[assignment]
    members: MemberStore = property(lambda self: self._service().members)  # type: ignore[assignment]
    tiers: Tiers = property(lambda self: self._service().tiers)  # type: ignore[assignment]
    showcase: Showcase = property(lambda self: self._service().showcase)  # type: ignore[assignment]

    @property
    def gallery(self) -> Gallery | None:
        return self._service().gallery

    @property
    def web(self) -> WebServer | None:
        return self.services.web if self.services is not None else None

    @property
    def db(self) -> Database | None:
        return self.resources.db if self.resources is not None else None

    # --- start ------------------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CatalogTranslator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.sync_only:
            return
        settings = self.settings
        self.resources = await open_resources(settings, self.clock, self._lock_lost, self.is_closed)
        self.services = services = await build_services(
            settings, self, self.resources, clock=self.clock, links=self.links, metrics=self.metrics, health=self.health
        )
        try:
            await services.web.start()
        except OSError as exc:
            raise StartupError(
                f"the web server cannot listen on {settings.web_host}:{settings.web_port} ({exc.strerror}): "
                "set WEB_HOST/WEB_PORT to a free address"
            ) from None
        await self.sync_commands(settings.dev_guild_id, only_if_changed=True)
        await services.jobs.start()
        await services.archiver.resume()
        services.archiver.start_sweeps()
        self.nightly = nightly_backup(settings, services, self.clock)
        if self.nightly is not None:
            self._nightly = asyncio.create_task(self.nightly.run(), name="nightly-backup")
        services.background.spawn(self._showcase_catch_up(), "showcase-catch-up")
        mode = f"callbacks to {settings.public_base_url}" if settings.callbacks_enabled else "polling"
        log.info("luma-bot is set up (%s, %d jobs in flight)", mode, services.jobs.in_flight)

    async def _showcase_catch_up(self) -> None:
        """Once connected: the showcase posts a stop interrupted, and the stars that came in while the bot was away."""
        await self.wait_until_ready()
        guilds = [g for g in await self.guild_store.showcase_guilds() if self.get_guild(g) is not None]
        read = await self.showcase.catch_up(guilds)
        if read:
            log.info("read the stars of %d recent results again", read)

    async def sync_commands(
        self, guild_id: int | None, *, only_if_changed: bool = False
    ) -> list[app_commands.AppCommand] | None:
        """Register the commands (globally, or in one guild); with `only_if_changed`, only when they changed."""
        return await sync_tree(self.tree, self.db, guild_id, only_if_changed=only_if_changed)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Discord lets `max_concurrency` shards identify per 5 s (shard i in bucket i % max_concurrency; large
        bots get 16); discord.py's default waits 5 s before every shard's. Wait only when a bucket comes round."""
        if initial or shard_id is None:
            return
        if self._max_concurrency is None:
            self._max_concurrency = max(1, (await self.fetch_session_start_limits()).max_concurrency)
        if shard_id % self._max_concurrency == 0:
            await asyncio.sleep(5.0)

    # --- the servers it serves (ALLOWED_GUILDS) -----------------------------------------------------

    def serves(self, guild_id: int | None) -> bool:
        """Whether the bot makes videos for this server (ALLOWED_GUILDS; bot/app/servers.py)."""
        return serves(self.settings.allowed_guilds, guild_id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        if not self.serves(guild.id):
            await turn_away(self, guild, self.languages, self.delivery.owner)

    # --- the gateway, and health ------------------------------------------------------------------

    async def on_ready(self) -> None:
        assert self.user is not None
        self._gateway_up()
        log.info("connected as %s (%d guilds)", self.user, len(self.guilds))
        for guild in self.guilds:  # added while the bot was away
            if not self.serves(guild.id):
                await turn_away(self, guild, self.languages, self.delivery.owner)

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

    # --- stop -------------------------------------------------------------------------------------

    def _lock_lost(self, holder: str) -> None:
        """Another bot took the database while this one's lock connection was down (or, `holder` empty, this one was
        cut from it for longer than STANDBY_TAKEOVER while a standby waited): two would both deliver, and bill, every
        video, so this one stops."""
        if not holder:
            log.error(
                "cut from the database for longer than STANDBY_TAKEOVER while a standby was waiting; stopping (the "
                "standby has taken over)"
            )
        else:
            log.error(
                "another luma-bot (pid %s) took the database while this one's lock connection was down; stopping "
                "(two would both deliver, and bill, every video)",
                holder,
            )
        self.exit_code = 2
        self._stopping_task = asyncio.ensure_future(self.close())

    async def close(self) -> None:
        """Graceful and idempotent (a signal and `async with` may both ask): stop taking work, finish
        writes, close the session and the database. Jobs still in flight resume at the next start."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_once())
        await asyncio.shield(self._shutdown)

    async def _close_once(self) -> None:
        services = self.services
        if services is not None:
            if self._nightly is not None:  # it waits for the next day: nothing to finish
                self._nightly.cancel()
                await asyncio.gather(self._nightly, return_exceptions=True)
            await services.jobs.stop()
            await services.showcase.stop()
            await services.archiver.stop()
            await services.background.stop()
            await services.web.stop()
        await super().close()
        if self.resources is not None:
            await self.resources.close()
