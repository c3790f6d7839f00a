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
import logging
import time
from datetime import timedelta

from bot.luma import LumaError

from .endings import Endings
from .intake import Intake
from .models import LATE_KINDS, Cadence, DeliveryReceipt, JobListener, LineFull, NewJob, QueueView
from .tracking import Tracking

__all__ = ["Cadence", "DeliveryReceipt", "JobListener", "JobService", "LineFull", "NewJob", "QueueView"]

log = logging.getLogger(__name__)


class JobService(Intake, Tracking, Endings):
    """The job service: its parts (intake, tracking, endings) over one shared state (base.py), started, stopped and
    resumed here."""

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
                since = (job.created_at or now).timestamp()
                self.line.add(job.id, job.guild_id, job.user_id, since, concurrent=job.member_concurrent)
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
