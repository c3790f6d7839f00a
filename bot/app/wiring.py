"""The services, built once from the settings and the opened resources, each handed what it needs (no service
reaches into the bot). The order follows the arrows: stores, then quotas and moderation, the kept copies, the jobs,
what posts their outcomes, and the web server."""

from __future__ import annotations

import resource
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import discord

from bot.background import Background
from bot.backups.nightly import Nightly
from bot.clock import Clock
from bot.config import Secret, Settings
from bot.delivery.modlog import ModLog
from bot.delivery.outbox import Languages, Outbox
from bot.delivery.owner import OwnerMail
from bot.delivery.people import DiscordPeople
from bot.delivery.posting import Delivery
from bot.delivery.showcase import DiscordBoard
from bot.gallery.cards import origin
from bot.gallery.pages import Gallery
from bot.gallery.passes import Passes
from bot.guilds.admin import GuildAdmin
from bot.guilds.quota import Limits, QuotaService
from bot.guilds.tiers import Tiers
from bot.jobs.service import Cadence, JobService
from bot.luma import LumaClient
from bot.media import Archiver, Links, MediaRoute
from bot.media.frames import Frames
from bot.media.shelf import S3Place
from bot.moderation import Moderation
from bot.moderation.wallet import Wallet
from bot.showcase import Showcase
from bot.store import (
    Database,
    GuildStore,
    JobStore,
    MediaStore,
    MemberStore,
    ModerationStore,
    QuotaStore,
    StarStore,
    VideoStore,
)
from bot.web.callbacks import CallbackSigner
from bot.web.metrics import Metrics
from bot.web.server import WebServer
from bot.web.serving import ConnectionGuard

from .opening import Resources

__all__ = ["Services", "build_services", "nightly_backup"]


@dataclass
class Services:
    quota: QuotaService
    guild_store: GuildStore
    moderation: Moderation
    languages: Languages
    mod_log: ModLog
    delivery: Delivery
    archiver: Archiver
    frames: Frames
    jobs: JobService
    web: WebServer
    background: Background  # the posts that never hold a member up (the mod log)
    guild_admin: GuildAdmin  # a server's admins' changes, each with its audit entry
    members: MemberStore  # each member's own defaults (`/luma settings`)
    tiers: Tiers  # role tiers and grants, as a server's admins set them
    showcase: Showcase  # stars, and the results reposted to a server's showcase channel
    gallery: Gallery | None = None  # the web gallery (PUBLIC_BASE_URL), whose links /luma gallery gives
    told: set[tuple[str, int, int]] = field(default_factory=set)  # (what, guild, member): notes said once per run

    @property
    def videos(self) -> VideoStore:
        """The videos members may see (deleted ones hidden by the store's one rule)."""
        return self.jobs.videos

    @property
    def job_store(self) -> JobStore:
        return self.jobs.jobs

    @property
    def media(self) -> MediaStore:
        """The kept copies' records."""
        return self.jobs.media


async def build_services(
    settings: Settings,
    client: discord.Client,
    resources: Resources,
    *,
    clock: Clock,
    links: Links,
    metrics: Metrics,
    health: Callable[[], Awaitable[str | None]],
) -> Services:
    db = resources.db
    assert db is not None and resources.shelf is not None
    quota = QuotaService(db, QuotaStore(db), Limits.from_settings(settings), Wallet.from_settings(settings))
    guild_store = GuildStore(db)
    members = MemberStore(db)
    await members.load()  # read once: a member's chosen language is known before anything is awaited
    background = Background()
    languages = Languages(client, guild_store, members)
    outbox = Outbox(client, guild_store, links, languages, clock, background.spawn)
    delivery = Delivery(outbox, OwnerMail(outbox, quota), mod_log := ModLog(outbox))
    archiver = _archiver(settings, db, resources)
    frames = _frames(settings, db, archiver, clock)
    secret = settings.callback_secret or await _stored_callback_secret(db)
    signer = CallbackSigner(secret, settings.public_base_url)
    jobs = _jobs(settings, db, resources, quota, delivery, archiver, frames, metrics, signer)
    gallery = _gallery(settings, jobs, guild_store, DiscordPeople(client), languages, links, secret, clock)
    web = _web(settings, jobs, signer, frames, resources, metrics, health, gallery)
    moderation = Moderation(db, ModerationStore(db), guild_store)
    return Services(
        quota,
        guild_store,
        moderation,
        languages,
        mod_log,
        delivery,
        archiver,
        frames,
        jobs,
        web,
        background,
        GuildAdmin(db, guild_store, quota),
        members,
        Tiers(db, guild_store, quota),
        _showcase(settings, jobs, guild_store, DiscordBoard(outbox, archiver.copy), background, clock),
        gallery,
    )


def nightly_backup(settings: Settings, services: Services, clock: Clock) -> Nightly | None:
    """The bot's own nightly backup, when BACKUP_DIR is set."""
    if settings.backup_dir is None:
        return None
    return Nightly(
        services.jobs.db,
        settings.backup_dir,
        keep=settings.backup_keep,
        at=settings.backup_time,
        clock=clock,
        stats=services.jobs.stats,
        tell_owner=services.delivery.owner.backup_failed,
    )


def _archiver(settings: Settings, db: Database, resources: Resources) -> Archiver:
    assert resources.media_session is not None
    return Archiver(
        resources.media_session,
        MediaStore(db),
        settings.media_path,
        max_bytes=settings.media_max_file_mb * 1024 * 1024,
        max_total_bytes=None if settings.media_max_gb is None else int(settings.media_max_gb * 1024**3),
        retry_every=settings.media_retry_interval,
        shelf=resources.shelf,
        destinations=resources.destinations,
    )


def _cadence(settings: Settings) -> Cadence:
    return Cadence(
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


def _jobs(
    settings: Settings,
    db: Database,
    resources: Resources,
    quota: QuotaService,
    delivery: Delivery,
    archiver: Archiver,
    frames: Frames,
    metrics: Metrics,
    signer: CallbackSigner,
) -> JobService:
    assert settings.api_token is not None
    jobs = JobService(
        db,
        LumaClient(resources.session, settings.api_base, settings.api_token),
        quota,
        cadence=_cadence(settings),
        callback_url_for=signer.url_for,
        listener=delivery,
        max_in_flight=settings.luma_max_in_flight,
        queue_timeout=settings.queue_timeout,
        copy=archiver.copy,
        archive_wait=settings.archive_wait,
        frames=frames,
        delivery_seconds=metrics.delivery_seconds,
        wait_seconds=metrics.wait_seconds,
    )
    line = jobs.line
    gauges = {
        "jobs_in_flight": lambda: jobs.in_flight,
        "line_waiting": lambda: len(line.waiting),
        "slots_in_use": lambda: len(line.rendering),
        "slots_cap": lambda: line.cap,
    }
    metrics.watch(jobs.stats, gauges)
    return jobs


def _web(
    settings: Settings,
    jobs: JobService,
    signer: CallbackSigner,
    frames: Frames,
    resources: Resources,
    metrics: Metrics,
    health: Callable[[], Awaitable[str | None]],
    gallery: Gallery | None,
) -> WebServer:
    # never let the web port take the descriptors Discord and the database need
    open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    cap = min(settings.web_max_connections, max(16, open_files // 4))
    media = None
    if settings.public_base_url:
        streams = min(settings.media_max_streams, max(1, cap // 2))  # never every connection
        media = MediaRoute(
            jobs.videos,
            jobs.media,
            resources.shelf,
            frames,
            max_streams=streams,
            send_timeout=settings.media_send_timeout,
        )
    return WebServer(
        jobs,
        signer,
        host=settings.web_host,
        port=settings.web_port,
        health=health,
        metrics=metrics,
        metrics_public=settings.metrics_public,
        metrics_token=settings.metrics_token.get() if settings.metrics_token else None,
        guard=ConnectionGuard(max_connections=cap, request_deadline=settings.web_request_timeout),
        media=media,
        gallery=gallery,
    )


def _frames(settings: Settings, db: Database, archiver: Archiver, clock: Clock) -> Frames:
    """The pictures members hand the bot, kept like the results."""
    return Frames(
        db,
        base_url=settings.public_base_url,
        upload_lifetime=settings.upload_link_lifetime,
        keep=archiver.keep_files,
        clock=clock,
    )


def _showcase(
    settings: Settings, jobs: JobService, guilds: GuildStore, board: DiscordBoard, background: Background, clock: Clock
) -> Showcase:
    return Showcase(
        jobs.videos,
        StarStore(jobs.db),
        guilds,
        board,
        background.spawn,
        default_stars=settings.showcase_stars,
        edit_delay=settings.showcase_edit_delay,
        recount_hours=settings.showcase_recount_hours,
        clock=clock,
    )


def _gallery(
    settings: Settings,
    jobs: JobService,
    guilds: GuildStore,
    people: DiscordPeople,
    languages: Languages,
    links: Links,
    secret: Secret,
    clock: Clock,
) -> Gallery | None:
    """The web gallery, served beside the kept copies (PUBLIC_BASE_URL)."""
    if not settings.public_base_url:
        return None
    place = S3Place.from_settings(settings)
    # a kept copy in a bucket is played from its presigned link: the page's policy names the bucket's host
    bucket = (origin(place.endpoint_url) or "https://*.amazonaws.com") if place is not None else None
    return Gallery(
        Passes(secret.get(), settings.gallery_link_hours, clock),
        jobs.videos,
        jobs.media,
        guilds,
        people,
        languages.public,
        links,
        media_origins=(bucket,) if bucket else (),
    )


async def _stored_callback_secret(db: Database) -> Secret:
    """The secret that signs callback paths, made once and kept in the database (unless CALLBACK_SECRET is set)."""
    value = await db.get_meta("callback_secret")
    if value is None:
        value = secrets.token_urlsafe(32)
        await db.set_meta("callback_secret", value)
    return Secret(value)
