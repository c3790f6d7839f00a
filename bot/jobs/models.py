"""What the job service takes and gives: a new request, a delivery's receipt, the line's view, the listener that
posts outcomes (implemented by bot.delivery: the jobs never import Discord's side), and the cadence of looking at
tasks. No Discord here."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from bot.errors import MemberError
from bot.i18n import _
from bot.luma import LumaError, VideoRequest
from bot.media import KeptFile
from bot.store import Job, Video


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
    roles: tuple[int, ...] = ()  # the member's roles: their tiers decide their member limits
    attach_limit: int | None = None  # the interaction's attachment_size_limit; 0 without Attach Files
    spoiler: bool = False
    member_locale: str | None = None
    age_restricted: bool = False  # asked in an age-restricted channel (or a thread of one)
    private: bool = False  # progress and result only to the member


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    via: str  # followup | channel | dm | thread (a private video's) | private (refused, told privately) | none
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
class Tracked:
    job: Job
    started: float  # monotonic
    callback_mode: bool
    attempts: int = 0
    missing_since: float | None = None  # monotonic: when a look first found no record of the task
    due: float = 0.0
    late_until: float | None = None  # a job given up on, watched until then for a late result
