"""The one place a job ends: completed (the video recorded, the reservation charged) or failed (refunded), then
handed to the listener to be posted, once, with retries. No Discord here."""

from __future__ import annotations

import asyncio
import logging

from bot.luma import LumaError, LumaTaskFailed, TaskRecord, VideoResult
from bot.media import KeptFile, files_of, unsigned
from bot.store import Job, Video

from .base import JobsBase
from .models import DELIVERY_PAUSES, LATE_KINDS

log = logging.getLogger(__name__)


class Endings(JobsBase):
    """Complete, fail, apply a task's record, deliver."""

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
                private=job.private,
                camera=request.camera,
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
