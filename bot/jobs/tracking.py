"""Watching the jobs in flight: when to look at each task (batched polling, most overdue first), what a look finds,
the late watch over jobs given up on, and the progress shown while they render. No Discord here."""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import time

from bot.luma import LumaError, LumaTaskLost, LumaTimeoutError, TaskRecord
from bot.store import Job

from .base import JobsBase
from .models import FAST_POLL, POLL_BATCH, Tracked, woken

log = logging.getLogger(__name__)


class Tracking(JobsBase):
    """Poll, reschedule, watch late results, refresh progress."""

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
        entry = Tracked(job, now - elapsed, callback_mode)
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
        entry = Tracked(job, now, callback_mode=True, late_until=now + remaining)
        entry.due = now + min(self.cadence.late_interval, remaining)
        self._tracked[job.id] = entry
        self._late.add(job.id)
        heapq.heappush(self._heap, (entry.due, next(self._seq), job.id))
        self._wake.set()

    def _untrack(self, job_id: str) -> None:
        self._tracked.pop(job_id, None)
        self._late.discard(job_id)

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
        due: dict[str, Tracked] = {}
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

    async def _look_at(self, due: dict[str, Tracked], now: float) -> None:
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

    async def _late_look(self, entry: Tracked, record: TaskRecord | None, now: float) -> None:
        """A task given up on: delivered if it completed after all; forgotten once it failed or the window ended."""
        if record is not None and record.state == "completed" and record.result is not None:
            self.stats["late_completed"] += 1
            log.info("the task of %r completed after the bot gave up on it; delivering it", entry.job)
            await self.complete(entry.job.id, record.result, late_ok=True)
        elif (record is not None and record.state == "failed") or now >= (entry.late_until or 0.0):
            self._untrack(entry.job.id)

    async def _end_quietly(self, entry: Tracked, error: LumaError) -> None:
        try:
            await self.fail(entry.job.id, error)
        except Exception:
            self.stats["poll_job_error"] += 1
            log.exception("ending %r failed; it is looked at again later", entry.job)

    def _reschedule(self, entry: Tracked) -> None:
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
