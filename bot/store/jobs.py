"""The jobs table: a video request from the moment it is accepted until its outcome is delivered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import aiosqlite

from bot.clock import from_iso, iso
from bot.luma.models import VideoRequest

from .db import Database, Tx

__all__ = ["SERVER_LIMIT", "Job", "JobStore"]

SERVER_LIMIT = -1  # Job.member_concurrent: the server's limit applies (no tier of the member decides it)
JobState = Literal["queued", "submitted", "completed", "failed"]
IN_FLIGHT = ("queued", "submitted")

_COLUMNS = (
    "id, guild_id, channel_id, user_id, action, request, parent_video_id, state, task_id, application_id,"
    " interaction_token, interaction_at, reply_to_message_id, video_id, error_kind, error_message,"
    " delivered_via, delivered_message_id, delivered_channel_id, created_at, submitted_at, finished_at,"
    " delivered_at, progress_message_id, submit_started_at, attach_limit, spoiler, member_locale,"
    " age_restricted, private, member_concurrent"
)


@dataclass(slots=True)
class Job:
    id: str
    guild_id: int
    channel_id: int
    user_id: int
    request: VideoRequest
    state: JobState = "queued"
    parent_video_id: str | None = None
    task_id: str | None = None
    application_id: int | None = None
    interaction_token: str | None = None
    interaction_at: datetime | None = None
    reply_to_message_id: int | None = None
    video_id: str | None = None
    error_kind: str | None = None
    error_message: str | None = None
    delivered_via: str | None = None
    delivered_message_id: int | None = None
    delivered_channel_id: int | None = None
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    finished_at: datetime | None = None
    delivered_at: datetime | None = None
    progress_message_id: int | None = None
    submit_started_at: datetime | None = None
    attach_limit: int | None = None  # the largest file the interaction's response may carry (0: none)
    spoiler: bool = False  # post the result behind a spoiler
    member_locale: str | None = None  # the requester's language, for what only they are told
    age_restricted: bool = False  # made in an age-restricted channel: its video is shown only in such channels
    private: bool = False  # progress and result only to its member; hidden from public views
    # its member's cap on videos rendering at once, from their tier when they asked (kept for the line after a
    # restart): SERVER_LIMIT the server's (read when a slot frees), None none, else that number
    member_concurrent: int | None = -1

    @property
    def action(self) -> str:
        return self.request.action

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT

    def log_fields(self) -> dict[str, object]:
        """What a JSON log line carries of this job as fields (bot/logs.py)."""
        return {"job": self.id, "guild": self.guild_id, "task": self.task_id}

    def __repr__(self) -> str:  # the interaction token is a credential: keep it out of logs
        return f"<Job {self.id} {self.action} state={self.state} task={self.task_id} guild={self.guild_id}>"

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Job:
        def when(key: str) -> datetime | None:
            return from_iso(row[key]) if row[key] else None

        return cls(
            id=row["id"],
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            user_id=row["user_id"],
            request=VideoRequest.from_payload(json.loads(row["request"])),
            state=row["state"],
            parent_video_id=row["parent_video_id"],
            task_id=row["task_id"],
            application_id=row["application_id"],
            interaction_token=row["interaction_token"],
            interaction_at=when("interaction_at"),
            reply_to_message_id=row["reply_to_message_id"],
            video_id=row["video_id"],
            error_kind=row["error_kind"],
            error_message=row["error_message"],
            delivered_via=row["delivered_via"],
            delivered_message_id=row["delivered_message_id"],
            delivered_channel_id=row["delivered_channel_id"],
            created_at=when("created_at"),
            submitted_at=when("submitted_at"),
            finished_at=when("finished_at"),
            delivered_at=when("delivered_at"),
            progress_message_id=row["progress_message_id"],
            submit_started_at=when("submit_started_at"),
            attach_limit=row["attach_limit"],
            spoiler=bool(row["spoiler"]),
            member_locale=row["member_locale"],
            age_restricted=bool(row["age_restricted"]),
            private=bool(row["private"]),
            member_concurrent=row["member_concurrent"],
        )


class JobStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, tx: Tx, job: Job) -> None:
        body: dict[str, Any] = job.request.to_record()
        await tx.execute(
            "INSERT INTO jobs (id, guild_id, channel_id, user_id, action, request, parent_video_id, state,"
            " application_id, interaction_token, interaction_at, reply_to_message_id, progress_message_id,"
            " created_at, attach_limit, spoiler, member_locale, age_restricted, private,"
            " member_concurrent) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id,
                job.guild_id,
                job.channel_id,
                job.user_id,
                job.action,
                json.dumps(body),
                job.parent_video_id,
                job.application_id,
                job.interaction_token,
                self.db.now() if job.interaction_token else None,
                job.reply_to_message_id,
                job.progress_message_id,
                self.db.now(),
                job.attach_limit,
                int(job.spoiler),
                job.member_locale,
                int(job.age_restricted),
                int(job.private),
                job.member_concurrent,
            ),
        )

    async def get(self, job_id: str, tx: Tx | None = None) -> Job | None:
        """One job, read inside `tx` when given (so it sees that transaction's changes)."""
        sql, params = f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)
        row = await (tx or self.db).fetchone(sql, params)
        return Job.from_row(row) if row else None

    async def by_task(self, task_id: str) -> Job | None:
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM jobs WHERE task_id = ?", (task_id,))
        return Job.from_row(row) if row else None

    async def mark_submitting(self, job_id: str) -> bool:
        """Note that the job is about to be sent to the API (see migration 0004): the one state change that takes
        it out of the line. False when it already left (cancelled, timed out, its member blocked): the caller
        must not send it. `finish(waiting_only=True)` is the other side of the same race."""
        changed = await self.db.execute(
            "UPDATE jobs SET submit_started_at = ? WHERE id = ? AND state = 'queued' AND task_id IS NULL"
            " AND submit_started_at IS NULL",
            (self.db.now(), job_id),
        )
        return changed == 1

    async def mark_unsubmitted(self, job_id: str) -> None:
        """The API refused the submission (a 429): the job waits in line again."""
        await self.db.execute(
            "UPDATE jobs SET submit_started_at = NULL WHERE id = ? AND task_id IS NULL AND state = 'queued'",
            (job_id,),
        )

    async def recent_starts(self, since: datetime) -> list[tuple[int, int, datetime]]:
        """(guild, member, last time one of their jobs was sent to the API), since `since`: the line's
        fair order goes on after a restart where it was."""
        rows = await self.db.fetchall(
            "SELECT guild_id, user_id, MAX(submit_started_at) AS started FROM jobs"
            " WHERE submit_started_at >= ? GROUP BY guild_id, user_id",
            (iso(since),),
        )
        return [(int(r["guild_id"]), int(r["user_id"]), from_iso(r["started"])) for r in rows]

    async def line_counts(self) -> tuple[int, int]:
        """(waiting in line, rendering or being sent) across the bot, for `luma-bot check`."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(submit_started_at IS NULL AND task_id IS NULL), 0) AS waiting,"
            " COALESCE(SUM(submit_started_at IS NOT NULL OR task_id IS NOT NULL), 0) AS rendering"
            " FROM jobs WHERE state IN ('queued', 'submitted')"
        )
        return (int(row["waiting"]), int(row["rendering"])) if row else (0, 0)

    async def mark_submitted(self, job_id: str, task_id: str) -> bool:
        """Record the task id; False when the job already ended (a callback beat the API's answer)."""
        changed = await self.db.execute(
            "UPDATE jobs SET task_id = COALESCE(task_id, ?), state = 'submitted',"
            " submitted_at = COALESCE(submitted_at, ?) WHERE id = ? AND state IN ('queued', 'submitted')",
            (task_id, self.db.now(), job_id),
        )
        return changed == 1

    async def finish(
        self,
        tx: Tx,
        job_id: str,
        state: Literal["completed", "failed"],
        *,
        task_id: str | None = None,
        video_id: str | None = None,
        error_kind: str | None = None,
        error_message: str | None = None,
        allow_from_failed: bool = False,
        waiting_only: bool = False,
    ) -> bool:
        """Move a job in flight to its end state. Exactly one caller wins; the others get False. `waiting_only`:
        only while it still waits in line (never while, or after, it is sent: see mark_submitting)."""
        states = ("queued", "submitted", "failed") if allow_from_failed else IN_FLIGHT
        marks = ", ".join("?" for _ in states)
        changed = await tx.execute(
            f"UPDATE jobs SET state = ?, task_id = COALESCE(task_id, ?), video_id = ?, error_kind = ?,"
            f" error_message = ?, finished_at = ?, delivered_at = NULL WHERE id = ? AND state IN ({marks})"
            " AND (? = 0 OR (submit_started_at IS NULL AND task_id IS NULL))",
            (state, task_id, video_id, error_kind, error_message, self.db.now(), job_id, *states, int(waiting_only)),
        )
        return changed == 1

    async def mark_delivered(
        self, job_id: str, via: str, message_id: int | None = None, channel_id: int | None = None
    ) -> bool:
        changed = await self.db.execute(
            "UPDATE jobs SET delivered_via = ?, delivered_message_id = ?, delivered_channel_id = ?,"
            " delivered_at = ?, interaction_token = NULL WHERE id = ? AND delivered_at IS NULL",
            (via, message_id, channel_id, self.db.now(), job_id),
        )
        return changed == 1

    async def in_flight(self) -> list[Job]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM jobs WHERE state IN ('queued', 'submitted') ORDER BY created_at"
        )
        return [Job.from_row(r) for r in rows]

    async def ended_without_result(self, kinds: tuple[str, ...], since: datetime) -> list[Job]:
        """Jobs that failed with one of these error kinds since `since` and whose task exists: the bot gave up on
        them, but the API may still finish them."""
        marks = ", ".join("?" for _ in kinds)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM jobs WHERE state = 'failed' AND task_id IS NOT NULL"
            f" AND error_kind IN ({marks}) AND finished_at >= ? ORDER BY finished_at",
            (*kinds, iso(since)),
        )
        return [Job.from_row(r) for r in rows]

    async def undelivered(self) -> list[Job]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM jobs WHERE state IN ('completed', 'failed') AND delivered_at IS NULL"
            " ORDER BY finished_at"
        )
        return [Job.from_row(r) for r in rows]

    async def count_in_flight(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'submitted')")
        return int(row["n"]) if row else 0
