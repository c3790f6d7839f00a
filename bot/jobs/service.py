"""The job state machine and the tracker that watches jobs in flight. No Discord here.

    accept()  quota reserved + job persisted (state queued), in one transaction
    submit()  POST /luma/videos → state submitted with its task id (or failed + refunded)
    …         the task ends: a callback (web.py) or the poller reads /luma/tasks
    complete()/fail()   the ONE place a job ends: the winner of an atomic state change records the
              video and charges (or refunds), then hands the job to the listener for delivery
    deliver   the listener posts it; the job is marked delivered; a result is posted once

Whatever was in flight when the bot stopped is picked up again by `resume()`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from bot.errors import MemberError
from bot.guilds.quota import QuotaService
from bot.i18n import _
from bot.jobs.line import Line
from bot.luma import (
    JobCancelled,
    LumaClient,
    LumaError,
    LumaRateLimited,
    LumaTaskFailed,
    LumaTaskLost,
    LumaTimeoutError,
    QueueTimeout,
    RemovedByModerator,
    TaskRecord,
    VideoRequest,
    VideoResult,
)
from bot.media import KeptFile, files_of, unsigned
from bot.store import Database, Job, JobStore, MediaStore, Video, VideoStore

__all__ = ["Cadence", "DeliveryReceipt", "JobListener", "JobService", "LineFull", "NewJob", "QueueView"]

log = logging.getLogger(__name__)


async def woken(event: asyncio.Event, timeout: float) -> bool:
    """Wait for `event` at most `timeout` seconds; whether it was set. Not `asyncio.wait_for`: on Python 3.11
    that returns normally when a cancellation arrives just as the event is set (gh-86296), and a loop told to
    stop would go on waiting, holding the bot's shutdown. `asyncio.timeout` keeps the cancellation."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True


POLL_BATCH = 50
FAST_POLL = 1.5  # while every job in flight fits in one batch, all are looked at together this often
LINE_TICK = 1.0  # how often the line checks its back-off, its cap's recovery and its time-outs


class LineFull(MemberError):
    """The wait for a free slot would already be longer than QUEUE_TIMEOUT: refused up front, at no cost."""

    def __init__(self, wait: float, timeout: float) -> None:
        self.wait, self.timeout = wait, timeout
        minutes = max(1, round(wait / 60))
        super().__init__(
            _(
                "The line for Luma is long right now (about {minutes} min, longer than this bot lets a video wait)."
            ).format(minutes=minutes)
        )

    @property
    def retry_in(self) -> float:
        """Seconds until the wait should fit again."""
        return max(60.0, self.wait - self.timeout)


@dataclass(frozen=True, slots=True)
class QueueView:
    """What /luma queue shows: the bot-wide slots, this server's share, and one member's places."""

    cap: int
    max_in_flight: int
    rendering: int
    waiting: int
    guild_rendering: int
    guild_waiting: int
    mine: list[tuple[str, int, float]]  # (prompt, jobs ahead, estimated seconds) for each waiting job


DELIVERY_PAUSES = (2.0, 5.0, 15.0, 30.0)  # between failed delivery attempts; after the last, the periodic sweep


@dataclass(frozen=True, slots=True)
class NewJob:
    """What the Discord layer hands in for one video request."""

    guild_id: int
    channel_id: int
    user_id: int
    request: VideoRequest
    parent_video_id: str | None = None
    application_id: int | None = None
    interaction_token: str | None = None
    reply_to_message_id: int | None = None
    progress_message_id: int | None = None
    exempt: bool = False
    attach_limit: int | None = None  # the interaction's attachment_size_limit; 0 without Attach Files
    spoiler: bool = False
    member_locale: str | None = None
    age_restricted: bool = False  # asked in an age-restricted channel (or a thread of one)


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    via: str  # original | channel | dm | none
    message_id: int | None = None
    channel_id: int | None = None
    attachment_url: str | None = None  # the posted message carries the video as this attachment


class JobListener(Protocol):
    async def job_progress(self, job: Job, waiting: tuple[int, float] | None = None) -> None: ...
    async def deliver(self, job: Job, video: Video | None, file: KeptFile | None = None) -> DeliveryReceipt: ...
    async def delivered(self, job: Job, video: Video | None, receipt: DeliveryReceipt) -> None: ...
    async def owner_alert(self, job: Job, error: LumaError) -> None: ...
    async def owner_unknown_outcomes(self, jobs: list[Job], still_waiting: bool) -> None: ...
    async def owner_budget(self, percent: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Cadence:
    """When to look at a task: first after `first`, then backing off to `max_interval`; give up at `timeout`.

    The poller makes at most `requests_per_second` batch requests of up to POLL_BATCH ids, most
    overdue first, so that thousands of jobs in flight cost a steady, small request rate.
    """

    first: float = 8.0
    interval: float = 15.0
    max_interval: float = 30.0
    callback_interval: float = 60.0
    timeout: float = 900.0
    requests_per_second: float = 1.0
    progress_interval: float = 15.0
    # whether the API knows a task at once is not documented: one it does not list is given this long (seconds
    # since the bot first missed it) before it is called lost
    record_grace: float = 600.0
    # a task the bot gave up on (timed out, or lost) is still looked at this often, for this long: a video that
    # completes late is delivered, once
    late_interval: float = 300.0
    late_window: float = 86400.0

    def next_delay(self, attempts: int, callback_mode: bool) -> float:
        if callback_mode:
            return self.callback_interval
        return min(self.max_interval, self.interval * (1.5 ** max(0, attempts - 1)))


LATE_KINDS = ("timeout", "lost")  # failures after which the task may still finish (and is watched for it)


@dataclass(slots=True)
class _Tracked:
    job: Job
    started: float  # monotonic
    callback_mode: bool
    attempts: int = 0
    missing_since: float | None = None  # monotonic: when a look first found no record of the task
    due: float = 0.0
    late_until: float | None = None  # a job given up on, watched until then for a late result


class JobService:
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
        self._tracked: dict[str, _Tracked] = {}
        self._late: set[str] = set()  # tracked jobs given up on, watched for a late result (not in flight)
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._delivering: set[str] = set()
        self._posted: dict[str, DeliveryReceipt] = {}  # posted, but the receipt not yet recorded
        self.delivery_seconds: Any = None  # a prometheus Histogram, when the bot watches its metrics
        self.wait_seconds: Any = None  # likewise: how long jobs waited in line for a slot
        # keeps a copy of each result, and gives it (waiting at most archive_wait seconds) to attach
        self.copy: Callable[[Video, float], Awaitable[KeptFile | None]] | None = None
        self.archive_wait = 10.0
        self.frames: Any = None  # bot/media/frames.Frames: working links for a request's frames, when set
        self.line = Line(max_in_flight)
        self.queue_timeout = queue_timeout
        self._line_jobs: dict[str, Job] = {}  # waiting jobs, by id
        self._shown_place: dict[str, int] = {}  # the place last shown on each waiting job's message
        self._pump_lock = asyncio.Lock()
        self._stopping = False  # set by stop(): nothing new is sent to the API
        self._line_wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[Any]] = []
        self._last_request = 0.0

    # --- background tasks: kept referenced, failures logged --------------------------------------

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def start(self) -> None:
        """Resume what was in flight and start the poller and the progress loop."""
        await self.resume()
        self._loops = [
            asyncio.create_task(self._poll_loop(), name="luma-poller"),
            asyncio.create_task(self._progress_loop(), name="luma-progress"),
            asyncio.create_task(self._line_loop(), name="luma-line"),
        ]

    async def stop(self, grace: float = 10.0) -> None:
        """Cancel the loops and background tasks and wait for them, at most `grace` seconds: a task that
        will not end is named in the log rather than holding the shutdown (and the restart) forever. An outcome
        being posted is given half of that to finish and be recorded first: cut off between the post and its
        receipt, it would be posted again at the next start. Likewise a request being sent: cut off before the
        API's answer, its task (made, and billed) would be known to nobody; no new one is sent meanwhile."""
        self._stopping = True
        for task in self._loops:
            task.cancel()
        deadline = asyncio.get_running_loop().time() + grace / 2
        for names in (("submit-",), ("deliver-", "redeliver-")):  # a submission may end in a delivery
            finishing = [t for t in self._tasks if t.get_name().startswith(names)]
            left = deadline - asyncio.get_running_loop().time()
            if finishing and left > 0:
                await asyncio.wait(finishing, timeout=left)
        tasks = [*self._loops, *self._tasks]
        for task in tasks:
            task.cancel()
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=grace)
            if stuck:
                log.error("%d tasks did not stop: %s", len(stuck), ", ".join(sorted(t.get_name() for t in stuck)))
        self._loops.clear()

    @property
    def in_flight(self) -> int:
        return len(self._tracked) - len(self._late)

    # --- accept and submit -----------------------------------------------------------------------

    def _now(self) -> float:
        return self.db.clock().timestamp()

    async def accept(self, new: NewJob) -> Job:
        """Reserve quota and persist the job in one transaction, and put it in the line. Raises
        QuotaExceeded, or LineFull when the wait would already be longer than QUEUE_TIMEOUT."""
        wait = 0.0
        if self.line.waiting or not self.line.free_slots:
            wait = self.line.estimated_wait(self.line.ahead_if_added(new.guild_id, new.user_id, self._now()))
        if wait > self.queue_timeout:
            self.stats["refused_line_full"] += 1
            raise LineFull(wait, self.queue_timeout)
        job = Job(
            id=secrets.token_urlsafe(18),
            guild_id=new.guild_id,
            channel_id=new.channel_id,
            user_id=new.user_id,
            request=new.request,
            parent_video_id=new.parent_video_id,
            application_id=new.application_id,
            interaction_token=new.interaction_token,
            reply_to_message_id=new.reply_to_message_id,
            progress_message_id=new.progress_message_id,
            attach_limit=new.attach_limit,
            spoiler=new.spoiler,
            member_locale=new.member_locale,
            exempt=new.exempt,
            age_restricted=new.age_restricted,
        )
        async with self.db.transaction() as tx:  # a refusal rolls the job back too
            await self.jobs.insert(tx, job)
            alert = await self.quota.reserve(tx, new.guild_id, new.user_id, job.id, exempt=new.exempt)
        if alert is not None and self.listener is not None:
            self.spawn(self.listener.owner_budget(alert), name=f"owner-budget-{alert}")
        job.created_at = job.interaction_at = self.db.clock()
        self.stats["accepted"] += 1
        self._line_jobs[job.id] = job
        self.line.add(job.id, job.guild_id, job.user_id, self._now(), exempt=new.exempt)
        return job

    async def line_up(self, job: Job) -> None:
        """Start the job now if a slot is free and it is its turn; either way, show where it stands at once (its
        place in line, or "generating…"): the "thinking…" message must not stay Discord's loading message, or the
        outcome's follow-up would be turned into a silent edit of it instead of a new message that notifies."""
        await self._pump()
        await self._progress(job)

    async def _pump(self) -> None:
        """Give free slots to waiting jobs, in the line's fair order (bot/line.py), within each server's
        and member's concurrency limits."""
        async with self._pump_lock:
            if self._stopping:
                return
            now = self._now()
            self.line.recover(now)
            limits: dict[int, Any] = {}
            while self.line.free_slots > 0 and now >= self.line.paused_until and self.line.waiting:
                for guild_id in {w.guild_id for w in self.line.waiting.values()} - limits.keys():
                    limits[guild_id] = await self.quota.limits(guild_id)

                def eligible(entry: Any) -> bool:
                    cap = limits[entry.guild_id]
                    guild_cap = cap.guild_concurrent
                    if guild_cap is not None and self.line.rendering_count(entry.guild_id) >= guild_cap:
                        return False
                    if entry.exempt or cap.member_concurrent is None:
                        return True
                    return self.line.rendering_count(entry.guild_id, entry.user_id) < cap.member_concurrent

                entry = next(self.line.order(eligible), None)
                if entry is None:
                    return
                job = self._line_jobs.pop(entry.job_id)
                self._shown_place.pop(entry.job_id, None)
                self.line.start(entry.job_id, now)
                if self.wait_seconds is not None:
                    self.wait_seconds.observe(max(0.0, now - entry.since))
                self.spawn(self.submit(job), name=f"submit-{job.id}")

    async def cancel(self, job_id: str, user_id: int, *, may_manage: bool) -> str:
        """Take a waiting job out of the line (its requester, or Manage Server): refunded at once."""
        job = self._line_jobs.get(job_id)
        if job is None:
            stored = await self.jobs.get(job_id)
            if stored is not None and stored.in_flight:
                return _("It has already started: Luma cannot stop a render once it has begun.")
            return _("This request is no longer waiting.")
        if job.user_id != user_id and not may_manage:
            return _("Only the member who asked, or someone with Manage Server, can cancel it.")
        if not await self.fail(job_id, JobCancelled("cancelled while waiting"), waiting_only=True):
            return _("It has already started: Luma cannot stop a render once it has begun.")
        self.stats["cancelled"] += 1
        return _("Cancelled. It left the line, and nothing was charged.")

    async def remove_member(self, guild_id: int, user_id: int) -> int:
        """A member was blocked: their jobs still waiting for a slot leave the line, refunded. Jobs already
        rendering go on (the API cannot stop them, and they are paid for)."""
        waiting = [j.id for j in self._line_jobs.values() if j.guild_id == guild_id and j.user_id == user_id]
        removed = 0
        for job_id in waiting:
            removed += await self.fail(job_id, RemovedByModerator("the member was blocked"), waiting_only=True)
        self.stats["removed_by_moderator"] += removed
        return removed

    def queue_view(self, guild_id: int, user_id: int) -> QueueView:
        waiting = [(self._line_jobs.get(j), ahead) for j, ahead in self.line.positions().items()]  # in order
        mine = [
            (job.request.prompt, ahead, self.line.estimated_wait(ahead))
            for job, ahead in waiting
            if job is not None and job.guild_id == guild_id and job.user_id == user_id
        ]
        return QueueView(
            cap=self.line.cap,
            max_in_flight=self.line.max_in_flight,
            rendering=len(self.line.rendering),
            waiting=len(self.line.waiting),
            guild_rendering=self.line.rendering_count(guild_id),
            guild_waiting=self.line.waiting_count(guild_id),
            mine=mine,
        )

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

    async def _line_loop(self) -> None:
        """Every LINE_TICK (or when a slot frees): refuse the waits that grew too long, then pump."""
        while True:
            await woken(self._line_wake, LINE_TICK)
            self._line_wake.clear()
            try:
                now = self._now()
                for entry in list(self.line.waiting.values()):
                    if now - entry.since > self.queue_timeout:
                        self.stats["queue_timeout"] += 1
                        timed_out = QueueTimeout("waited longer than QUEUE_TIMEOUT")
                        await self.fail(entry.job_id, timed_out, waiting_only=True)
                await self._pump()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a locked or full database: the next tick tries again
                self.stats["line_error"] += 1
                log.warning("the line could not move (%r); trying again", exc)

    async def submit(self, job: Job) -> Job:
        """Send the job to the API. Failures end the job (refunded) and are delivered as a message."""
        callback_url = self.callback_url_for(job.id)
        try:
            request = job.request
            if self.frames is not None:  # a frame whose Discord link is gone by now goes as the bot's own copy
                request, _gone = await self.frames.usable(job.guild_id, request)
            if not await self.jobs.mark_submitting(job.id):  # it left the line meanwhile (cancel, time-out, block)
                self.stats["submit_abandoned"] += 1
                self._free(job.id, job)
                return job
            submission = await self.client.submit(request, callback_url=callback_url)
        except LumaRateLimited as exc:  # refused, so nothing was made: back to the head of the line
            self.stats["submit_rate_limited"] += 1
            log.info("the API is at its limit (%s); %r goes back to the head of the line", exc.detail, job)
            await self.jobs.mark_unsubmitted(job.id)
            self.line.rate_limited(job.id, self._now())
            self._line_jobs[job.id] = job
            await self._progress(job)
            return job
        except Exception as exc:  # anything but the API's own errors: still end the job and refund it
            if not isinstance(exc, LumaError):
                log.exception("submitting %r failed unexpectedly", job)
                exc = LumaError("the bot could not send this request")
            self.stats[f"submit_error_{exc.kind}"] += 1
            if exc.ambiguous and callback_url:
                # The task may exist: keep the job open so that a late callback is still delivered,
                # but tell nobody "done" yet; the timeout refunds it if nothing arrives.
                log.warning("submission of %r is uncertain (%s); waiting for a callback", job, exc.detail)
                self._track(job, callback_mode=True)
                return job
            log.info("submission of %r failed: %s", job, exc.detail)
            await self.fail(job.id, exc)
            return job
        self.stats["submitted"] += 1
        if not await self.jobs.mark_submitted(job.id, submission.task_id):
            return job  # its callback beat the API's answer: the job has already ended
        job.task_id, job.state = submission.task_id, "submitted"
        if submission.result is not None:
            await self.complete(job.id, submission.result)
            return job
        self._track(job, callback_mode=callback_url is not None)
        if self.listener is not None and job.id in self._tracked:
            await self._progress(job)
        return job

    # --- the one place a job ends -----------------------------------------------------------------

    async def complete(self, job_id: str, result: VideoResult, *, late_ok: bool = False) -> bool:
        """Record the video, charge the reservation, deliver. Returns False if another path won."""
        async with self.db.transaction() as tx:
            job = await self.jobs.get(job_id, tx)
            if job is None:
                return False
            video_id = result.video_id or result.task_id
            won = await self.jobs.finish(
                tx, job_id, "completed", task_id=result.task_id, video_id=video_id, allow_from_failed=late_ok
            )
            if not won:
                self.stats["duplicate_outcome"] += 1
                self._untrack(job_id)
                self._free(job_id)
                return False
            request = job.request
            video = Video(
                video_id=video_id,
                luma_video_id=result.video_id,
                guild_id=job.guild_id,
                user_id=job.user_id,
                channel_id=job.channel_id,
                job_id=job.id,
                task_id=result.task_id,
                action=request.action,
                prompt=request.prompt,
                video_url=result.video_url,
                thumbnail_url=result.thumbnail_url,
                width=result.width,
                height=result.height,
                parent_video_id=job.parent_video_id or request.video_id,
                parent_video_url=request.video_url,
                spoiler=job.spoiler,
                age_restricted=job.age_restricted,
            )
            await self.videos.insert(tx, video)
            await self.media.due(tx, video.video_id, files_of(video))
            await self.quota.charge(tx, job_id, even_if_refunded=late_ok)
        self._untrack(job_id)
        self._free(job_id, job)
        self.stats["completed"] += 1
        job.state, job.video_id, job.finished_at = "completed", video_id, self.db.clock()
        self.spawn(self._copy_then_deliver(job, video), name=f"deliver-{job_id}")
        return True

    async def fail(self, job_id: str, error: LumaError, *, waiting_only: bool = False) -> bool:
        """End the job as failed, refunded, and deliver that. `waiting_only` (cancel, a queue time-out, a block):
        only while it waits in line; once it is being sent it goes on, and nothing here touches its slot."""
        async with self.db.transaction() as tx:
            won = await self.jobs.finish(
                tx,
                job_id,
                "failed",
                error_kind=error.kind,
                error_message=(error.api_message or "")[:500] or None,
                waiting_only=waiting_only,
            )
            if won:
                await self.quota.refund(tx, job_id)
        if waiting_only and not won:
            return False
        self._untrack(job_id)
        job = await self.jobs.get(job_id)
        self._free(job_id, job)
        if not won:
            return False
        self.stats["failed"] += 1
        if job is not None and job.task_id and error.kind in LATE_KINDS:
            self._watch_late(job, self.cadence.late_window)
        if job is not None:
            self.spawn(self._deliver(job, None), name=f"deliver-{job_id}")
            if error.owner_problem and self.listener is not None:
                log.error("the bot's owner must act: %s", error.detail)
                self.spawn(self.listener.owner_alert(job, error), name=f"owner-alert-{job_id}")
        return True

    async def apply(self, job_id: str, record: TaskRecord, *, from_callback: bool = False) -> bool:
        """Act on a task's reported state (from a poll or a callback)."""
        if record.state == "completed" and record.result is not None:
            return await self.complete(job_id, record.result, late_ok=from_callback)
        if record.state == "failed":
            return await self.fail(job_id, record.error or LumaTaskFailed("the task failed"))
        return False

    async def _deliver(self, job: Job, video: Video | None, file: KeptFile | None = None) -> None:
        """Hand the outcome to the listener; on failure retry with backoff (then the periodic sweep).

        A result that was posted is remembered until its receipt is recorded: when the database cannot
        record it (a full disk), only the recording is tried again, never the post.
        """
        if self.listener is None or job.id in self._delivering:
            return
        self._delivering.add(job.id)
        try:
            for attempt in range(len(DELIVERY_PAUSES) + 1):
                try:
                    receipt = self._posted.get(job.id)
                    if receipt is None:
                        receipt = await self.listener.deliver(job, video, file)
                        self._posted[job.id] = receipt
                        if self.delivery_seconds is not None and job.finished_at is not None:
                            self.delivery_seconds.observe(max(0.0, (self.db.clock() - job.finished_at).total_seconds()))
                    await self.jobs.mark_delivered(job.id, receipt.via, receipt.message_id, receipt.channel_id)
                    if video is not None and receipt.message_id is not None:
                        await self.videos.set_message(
                            video.video_id, receipt.message_id, receipt.channel_id, unsigned(receipt.attachment_url)
                        )
                except Exception:
                    self.stats["delivery_error"] += 1
                    if attempt == len(DELIVERY_PAUSES):
                        log.exception("delivery of %r failed; the periodic sweep will try again", job)
                        return
                    pause = DELIVERY_PAUSES[attempt]
                    log.exception("delivery of %r failed (attempt %d); retrying in %ss", job, attempt + 1, pause)
                    await asyncio.sleep(pause)
                    continue
                self._posted.pop(job.id, None)
                self.stats["delivered"] += 1
                if receipt.attachment_url:
                    self.stats["delivered_with_file"] += 1
                try:  # tidying up (the progress message, the mod log) never puts the receipt at risk
                    await self.listener.delivered(job, video, receipt)
                except Exception:
                    log.exception("tidying up after delivering %r failed", job)
                return
        finally:
            self._delivering.discard(job.id)

    async def _copy_then_deliver(self, job: Job, video: Video) -> None:
        """Wait a short, bounded time (archive_wait) for the kept mp4, then post once: with the file when it
        is there, else with the link (the copy goes on in the background, for the history)."""
        if job.id in self._delivering:
            return
        self._delivering.add(job.id)  # claimed while waiting, so a sweep cannot start a second delivery
        try:
            file = await self.copy(video, self.archive_wait) if self.copy is not None else None
        finally:
            self._delivering.discard(job.id)
        await self._deliver(job, video, file)  # (no await between the release and _deliver's own claim)

    async def redeliver_pending(self) -> int:
        """Deliver every finished job whose outcome has not reached the member yet."""
        pending = [j for j in await self.jobs.undelivered() if j.id not in self._delivering]
        for job in pending:
            video = await self.videos.get(job.guild_id, job.video_id) if job.video_id else None
            if video is not None:
                self.spawn(self._copy_then_deliver(job, video), name=f"redeliver-{job.id}")
            else:
                self.spawn(self._deliver(job, None), name=f"redeliver-{job.id}")
        return len(pending)

    # --- tracking and polling --------------------------------------------------------------------

    def _due(self, delay: float, callback_mode: bool) -> float:
        """When to look next. While every job in flight fits in one batch, polling jobs are looked at
        every FAST_POLL seconds on a shared tick, so that one request covers them all and a finished
        task (a free slot) is noticed within a second or two; beyond that, the cadence's back-off."""
        now = time.monotonic()
        if callback_mode or self.in_flight > POLL_BATCH:
            return now + delay
        fast = min(delay, FAST_POLL)
        return math.ceil((now + fast) / FAST_POLL) * FAST_POLL

    def _track(self, job: Job, *, callback_mode: bool, elapsed: float = 0.0) -> None:
        now = time.monotonic()
        entry = _Tracked(job, now - elapsed, callback_mode)
        first = self.cadence.callback_interval if callback_mode else self.cadence.first
        entry.due = now + max(0.0, first - elapsed)
        self._tracked[job.id] = entry
        self._late.discard(job.id)
        heapq.heappush(self._heap, (entry.due, next(self._seq), job.id))
        self._wake.set()

    def _watch_late(self, job: Job, remaining: float) -> None:
        """Keep looking, slowly, at a task the bot gave up on: if it completes after all, it is delivered (and
        charged: the API billed it). Not a job in flight: it holds no slot and no reservation."""
        if remaining <= 0:
            return
        now = time.monotonic()
        entry = _Tracked(job, now, callback_mode=True, late_until=now + remaining)
        entry.due = now + min(self.cadence.late_interval, remaining)
        self._tracked[job.id] = entry
        self._late.add(job.id)
        heapq.heappush(self._heap, (entry.due, next(self._seq), job.id))
        self._wake.set()

    def _untrack(self, job_id: str) -> None:
        self._tracked.pop(job_id, None)
        self._late.discard(job_id)

    async def resume(self) -> None:
        """After a restart: settle orphaned reservations, track jobs in flight, deliver what is due.

        A job with a task id is looked at soon, whatever its age: the API decides whether it is done
        (and billed) before the bot calls it timed out. A job that never reached the API is sent now.
        A job stopped while being sent has an unknown outcome (the API keeps no idempotency key): in
        callback mode it still waits for its callback; in poll mode it is refunded; the owner is told.
        """
        released = await self.quota.release_orphans()
        if released:
            log.info("released %d reservations of jobs that are gone", released)
        now = self.db.clock()
        callbacks = self.callback_url_for("probe") is not None
        for guild_id, user_id, started in await self.jobs.recent_starts(now - timedelta(days=1)):
            self.line.note_start(guild_id, user_id, started.timestamp())  # the fair order goes on where it was
        resumed, unsent, unknown = 0, [], []
        for job in await self.jobs.in_flight():
            elapsed = (now - job.created_at).total_seconds() if job.created_at else 0.0
            if job.task_id is None and job.submit_started_at is None:
                # waiting in line (or saved and never sent): it keeps its place; sending it cannot bill twice
                unsent.append(job)
                self._line_jobs[job.id] = job
                self.line.add(job.id, job.guild_id, job.user_id, (job.created_at or now).timestamp(), exempt=job.exempt)
                continue
            if job.task_id is None:
                unknown.append(job)
                if not callbacks:  # no task id to look up, and no callback can come
                    await self.fail(job.id, LumaError("the bot restarted while Luma was confirming this video"))
                    continue
            self.line.occupy(job.id, job.guild_id, job.user_id)
            self._track(job, callback_mode=callbacks, elapsed=elapsed)
            entry = self._tracked[job.id]
            if job.task_id:  # look soon after a restart: the task may have ended meanwhile
                entry.due = time.monotonic() + min(self.cadence.first, 1.0 + resumed / 100)
                heapq.heappush(self._heap, (entry.due, next(self._seq), job.id))
            resumed += 1
        window = self.cadence.late_window
        for job in await self.jobs.ended_without_result(LATE_KINDS, now - timedelta(seconds=window)):
            ended = (now - job.finished_at).total_seconds() if job.finished_at else window
            self._watch_late(job, window - ended)
        self._line_wake.set()  # the line moves as soon as the loops run
        if unknown and self.listener is not None:
            log.warning("%d jobs stopped while being sent to the API; their outcome is unknown", len(unknown))
            self.spawn(self.listener.owner_unknown_outcomes(unknown, callbacks), name="owner-unknown-outcomes")
        await self.redeliver_pending()
        log.info("resumed %d jobs in flight and %d waiting in line", resumed, len(unsent))

    async def _poll_loop(self) -> None:
        spacing = 1.0 / self.cadence.requests_per_second
        while True:
            try:
                await self._poll_once(spacing)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("poller iteration failed")
                await asyncio.sleep(spacing)

    async def _poll_once(self, spacing: float) -> None:
        # wait for the earliest due job (or for a new one)
        while True:
            while self._heap and (
                self._heap[0][2] not in self._tracked or self._tracked[self._heap[0][2]].due != self._heap[0][0]
            ):
                heapq.heappop(self._heap)  # stale entry
            delay = (self._heap[0][0] - time.monotonic()) if self._heap else 3600.0
            if delay <= 0:
                break
            self._wake.clear()
            await woken(self._wake, min(delay, 3600.0))
        # keep to the request-rate budget
        wait = self._last_request + spacing - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        now = time.monotonic()
        due: dict[str, _Tracked] = {}
        while self._heap and len(due) < POLL_BATCH and self._heap[0][0] <= now:
            job_id = heapq.heappop(self._heap)[2]
            entry = self._tracked.get(job_id)
            if entry is not None and entry.due <= now:
                due[job_id] = entry
        try:
            await self._look_at(due, now)
        finally:
            # every job taken goes back on the schedule unless it ended, whatever happened above
            for entry in due.values():
                if entry.job.id in self._tracked and entry.due <= now:
                    self._reschedule(entry)

    async def _look_at(self, due: dict[str, _Tracked], now: float) -> None:
        """One poll: a batched look at the due jobs with a task id, each record handled on its own."""
        pollable = [e for e in due.values() if e.job.task_id]
        for entry in due.values():
            if not entry.job.task_id and now - entry.started > self.cadence.timeout:
                await self._end_quietly(entry, LumaTimeoutError("no result within the time limit"))
        if not pollable:
            return
        self._last_request = time.monotonic()
        self.stats["poll_requests"] += 1
        try:
            records = await self.client.retrieve_many([e.job.task_id for e in pollable if e.job.task_id])
        except LumaError as exc:
            log.warning("polling %d tasks failed: %s", len(pollable), exc.detail)
            return
        by_id = {r.task_id: r for r in records}
        for entry in pollable:
            if self._tracked.get(entry.job.id) is not entry:
                continue  # ended meanwhile (a callback)
            record = by_id.get(entry.job.task_id or "")
            try:
                if entry.late_until is not None:
                    await self._late_look(entry, record, now)
                elif record is None:  # not known (yet, or any more): given time before it is called lost
                    if entry.missing_since is None:
                        entry.missing_since = now
                    elif now - entry.missing_since >= self.cadence.record_grace:
                        self.stats["lost"] += 1
                        await self.fail(entry.job.id, LumaTaskLost("the API did not know the task"))
                elif record.state != "pending":
                    await self.apply(entry.job.id, record)
                else:
                    entry.missing_since = None
                    if now - entry.started > self.cadence.timeout:  # asked first, and still not done: timed out
                        await self.fail(entry.job.id, LumaTimeoutError("no result within the time limit"))
            except Exception as exc:  # a full disk, a database held too long, a bug: this job only
                self.stats["poll_job_error"] += 1
                log.warning("handling the task of %r failed (%r); it is looked at again later", entry.job, exc)

    async def _late_look(self, entry: _Tracked, record: TaskRecord | None, now: float) -> None:
        """A task given up on: delivered if it completed after all; forgotten once it failed or the window ended."""
        if record is not None and record.state == "completed" and record.result is not None:
            self.stats["late_completed"] += 1
            log.info("the task of %r completed after the bot gave up on it; delivering it", entry.job)
            await self.complete(entry.job.id, record.result, late_ok=True)
        elif (record is not None and record.state == "failed") or now >= (entry.late_until or 0.0):
            self._untrack(entry.job.id)

    async def _end_quietly(self, entry: _Tracked, error: LumaError) -> None:
        try:
            await self.fail(entry.job.id, error)
        except Exception:
            self.stats["poll_job_error"] += 1
            log.exception("ending %r failed; it is looked at again later", entry.job)

    def _reschedule(self, entry: _Tracked) -> None:
        entry.attempts += 1
        if entry.late_until is not None:
            entry.due = time.monotonic() + self.cadence.late_interval
        else:
            delay = self.cadence.next_delay(entry.attempts, entry.callback_mode)
            entry.due = self._due(delay, entry.callback_mode)
        heapq.heappush(self._heap, (entry.due, next(self._seq), entry.job.id))

    async def _progress(self, job: Job, ahead: int | None = None) -> None:
        """Show the job's state: rendering, or (waiting) its place in line, `ahead` when already known."""
        if self.listener is None:
            return
        waiting = None
        if job.id in self._line_jobs:
            ahead = self.line.positions().get(job.id, 0) if ahead is None else ahead
            waiting = (ahead, self.line.estimated_wait(ahead))
            self._shown_place[job.id] = ahead
        try:
            await self.listener.job_progress(job, waiting)
        except Exception:
            log.exception("progress update of %r failed", job)

    async def _progress_loop(self) -> None:
        """Show members that their job is alive, while its interaction token can still edit; every
        fourth tick, sweep for outcomes not yet delivered. No error ends this loop."""
        while True:
            await asyncio.sleep(self.cadence.progress_interval)
            try:
                for entry in list(self._tracked.values()):
                    # re-checked per job: one that ended during an earlier edit must not get "generating…"
                    # over its result; whether its message can still be edited is the listener's to judge
                    if self._tracked.get(entry.job.id) is entry and entry.late_until is None:
                        await self._progress(entry.job)
                positions = self.line.positions()
                for job_id, ahead in positions.items():  # a waiting job's message, when its place changed
                    job = self._line_jobs.get(job_id)
                    if job is not None and self._shown_place.get(job_id) != ahead:
                        await self._progress(job, ahead)
                tick = self.stats["progress_ticks"] = self.stats["progress_ticks"] + 1
                if tick % 4 == 0:
                    await self.redeliver_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.stats["progress_loop_error"] += 1
                log.exception("a progress round failed; the next one runs as usual")
