"""What the job service's parts share: its state, its stores and collaborators, and its background tasks. No
Discord here.

The service is one object built from mixins (intake.py, tracking.py, endings.py; Red-DiscordBot's way): each adds the
methods of one step of a job's life over this base, which holds the state they share and is their one common
ancestor."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from bot.background import Background
from bot.guilds.quota import QuotaService
from bot.jobs.line import Line
from bot.luma import LumaClient
from bot.media import KeptFile
from bot.store import Database, Job, JobStore, MediaStore, Video, VideoStore

from .models import Cadence, DeliveryReceipt, JobListener, Tracked

log = logging.getLogger(__name__)


class JobsBase:
    """The shared state of the job service (see the module's text)."""

    def __init__(
        self,
        db: Database,
        client: LumaClient,
        quota: QuotaService,
        *,
        cadence: Cadence | None = None,
        callback_url_for: Callable[[str], str | None] = lambda job_id: None,
        listener: JobListener | None = None,
        max_in_flight: int = 5,
        queue_timeout: float = 1800.0,
        copy: Callable[[Video, float], Awaitable[KeptFile | None]] | None = None,
        archive_wait: float = 10.0,
        frames: Any = None,
        delivery_seconds: Any = None,
        wait_seconds: Any = None,
    ) -> None:
        self.db = db
        self.jobs = JobStore(db)
        self.videos = VideoStore(db)
        self.media = MediaStore(db)
        self.quota = quota
        self.client = client
        self.cadence = cadence or Cadence()
        self.callback_url_for = callback_url_for
        self.listener = listener
        self.stats: Counter[str] = Counter()
        self._tracked: dict[str, Tracked] = {}
        self._late: set[str] = set()  # tracked jobs given up on, watched for a late result (not in flight)
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._delivering: set[str] = set()
        self._posted: dict[str, DeliveryReceipt] = {}  # posted, but the receipt not yet recorded
        self.delivery_seconds = delivery_seconds  # a prometheus Histogram, when the bot watches its metrics
        self.wait_seconds = wait_seconds  # likewise: how long jobs waited in line for a slot
        # keeps a copy of each result, and gives it (waiting at most archive_wait seconds) to attach
        self.copy = copy
        self.archive_wait = archive_wait
        self.frames = frames  # bot/media/frames.Frames: working links for a request's frames, when set
        self.line = Line(max_in_flight)
        self.queue_timeout = queue_timeout
        self._line_jobs: dict[str, Job] = {}  # waiting jobs, by id
        self._shown_place: dict[str, int] = {}  # the place last shown on each waiting job's message
        self._pump_lock = asyncio.Lock()
        self._stopping = False  # set by stop(): nothing new is sent to the API
        self._line_wake = asyncio.Event()
        self._background = Background()  # submissions, deliveries, the owner's DMs: kept until done, failures logged
        self._loops: list[asyncio.Task[Any]] = []
        self._last_request = 0.0

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        return self._background.spawn(coro, name)

    @property
    def _tasks(self) -> set[asyncio.Task[Any]]:
        return self._background.tasks

    def _now(self) -> float:
        return self.db.clock().timestamp()

    def _free(self, job_id: str, job: Job | None = None) -> None:
        """A job ended (or left the line): its slot, if it held one, goes to the next in line."""
        self._line_jobs.pop(job_id, None)
        self._shown_place.pop(job_id, None)
        self.line.remove(job_id)
        render = None
        if job is not None and job.submitted_at is not None:
            render = (self.db.clock() - job.submitted_at).total_seconds()
        if self.line.finish(job_id, render):
            self._line_wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._tracked) - len(self._late)
