"""A job's way in: accepted (quota reserved, persisted), lined up in front of the API's cap, cancelled or removed
while it waits, and sent to the API when its turn comes. No Discord here."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from bot.i18n import _
from bot.luma import JobCancelled, LumaError, LumaRateLimited, QueueTimeout, RemovedByModerator
from bot.store import SERVER_LIMIT, Job

from .base import JobsBase
from .models import LINE_TICK, LineFull, NewJob, QueueView, woken

log = logging.getLogger(__name__)


class Intake(JobsBase):
    """Accept, line up, cancel, submit."""

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
            age_restricted=new.age_restricted,
            private=new.private,
        )
        async with self.db.transaction() as tx:  # a refusal rolls the job back too
            member = await self.quota.member_limits(new.guild_id, new.roles, tx)
            job.member_concurrent = member.member_concurrent(SERVER_LIMIT)
            await self.jobs.insert(tx, job)
            alert = await self.quota.reserve(tx, new.guild_id, new.user_id, job.id, member)
        if alert is not None and self.listener is not None:
            self.spawn(self.listener.owner_budget(alert), name=f"owner-budget-{alert}")
        job.created_at = job.interaction_at = self.db.clock()
        self.stats["accepted"] += 1
        self._line_jobs[job.id] = job
        self.line.add(job.id, job.guild_id, job.user_id, self._now(), concurrent=job.member_concurrent)
        return job

    async def line_up(self, job: Job) -> None:
        """Start the job now if a slot is free and it is its turn; either way, show where it stands at once (its
        place in line, or "generating…"): the "thinking…" message must not stay Discord's loading message, or the
        outcome's follow-up would be turned into a silent edit of it instead of a new message that notifies."""
        await self._pump()
        await self._progress(job)

    async def _pump(self) -> None:
        """Give free slots to waiting jobs, in the line's fair order (bot/jobs/line.py), within each server's
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
                    member_cap = cap.member_concurrent if entry.concurrent == SERVER_LIMIT else entry.concurrent
                    if member_cap is None:
                        return True
                    return self.line.rendering_count(entry.guild_id, entry.user_id) < member_cap

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
