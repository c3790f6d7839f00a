"""The videos table: every finished video, per guild, with its lineage."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.clock import from_iso

from .db import Database, Tx

__all__ = ["Video", "VideoStore", "Viewer"]

_COLUMNS = (
    "video_id, luma_video_id, guild_id, user_id, channel_id, job_id, task_id, action, prompt, video_url,"
    " thumbnail_url, width, height, parent_video_id, parent_video_url, message_id, message_channel_id,"
    " created_at, attachment_url, serve_key, spoiler, age_restricted, private, camera"
)
_MARKS = ", ".join("?" for _ in _COLUMNS.split(","))  # one placeholder per column
_READ = _COLUMNS + ", deleted_at, deleted_by, stars"  # written later than the insert
# what a member may see: not deleted; made in an age-restricted channel only where they ask from one; private only
# their own (or anyone's for Manage Server)
_SHOWN = " AND deleted_at IS NULL AND (age_restricted = 0 OR ?) AND (private = 0 OR user_id = ? OR ?)"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, and from where: what `_SHOWN` needs. `Viewer()` sees only public videos."""

    user_id: int | None = None
    manager: bool = False  # Manage Server: sees private videos too (the history only)
    age_ok: bool = True  # asked from an age-restricted channel (or not from a channel at all)

    def params(self) -> list[object]:
        return [self.age_ok, self.user_id, self.manager]


@dataclass(slots=True)
class Video:
    video_id: str
    guild_id: int
    user_id: int
    channel_id: int
    task_id: str
    action: str
    prompt: str
    video_url: str
    luma_video_id: str | None = None
    job_id: str | None = None
    thumbnail_url: str | None = None
    width: int | None = None
    height: int | None = None
    parent_video_id: str | None = None
    parent_video_url: str | None = None
    message_id: int | None = None
    message_channel_id: int | None = None
    created_at: datetime | None = None
    attachment_url: str | None = None  # the Discord attachment carrying the video (signed: expires)
    serve_key: str | None = None  # where the bot serves its kept copy: {PUBLIC_BASE_URL}/media/{key}.mp4
    deleted_at: datetime | None = None  # its result message was deleted (Delete): hidden from members
    deleted_by: int | None = None
    spoiler: bool = False  # posted behind a spoiler: kept behind one wherever it is shown
    age_restricted: bool = False  # made in an age-restricted channel: shown only in such channels
    private: bool = False  # only its member (and Manage Server, in the history) ever sees it
    camera: str | None = None  # the camera move asked for (bot/luma/camera.py), kept apart from the prompt
    stars: int = 0  # members other than its requester who starred its result (bot/store/showcase.py)

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Video:
        data = {key: row[key] for key in row.keys()}
        for key in ("created_at", "deleted_at"):
            data[key] = from_iso(row[key]) if row[key] else None
        for key in ("spoiler", "age_restricted", "private"):
            data[key] = bool(data[key])
        return cls(**data)


def _contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class VideoStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def insert(self, tx: Tx, video: Video) -> None:
        video.serve_key = video.serve_key or secrets.token_urlsafe(18)
        await tx.execute(
            f"INSERT INTO videos ({_COLUMNS}) VALUES ({_MARKS}) ON CONFLICT DO NOTHING",
            (
                video.video_id,
                video.luma_video_id,
                video.guild_id,
                video.user_id,
                video.channel_id,
                video.job_id,
                video.task_id,
                video.action,
                video.prompt,
                video.video_url,
                video.thumbnail_url,
                video.width,
                video.height,
                video.parent_video_id,
                video.parent_video_url,
                video.message_id,
                video.message_channel_id,
                self.db.now(),
                video.attachment_url,
                video.serve_key,
                int(video.spoiler),
                int(video.age_restricted),
                int(video.private),
                video.camera,
            ),
        )

    async def get(self, guild_id: int, video_id: str) -> Video | None:
        """The bot's record of a video, deleted or not (its own bookkeeping: delivery, lineage, the audit)."""
        row = await self.db.fetchone(
            f"SELECT {_READ} FROM videos WHERE guild_id = ? AND video_id = ?", (guild_id, video_id)
        )
        return Video.from_row(row) if row else None

    async def shown(self, guild_id: int, video_id: str, viewer: Viewer) -> Video | None:
        """A video this viewer may see and use: this server's, not deleted, and within `Viewer`'s rules (the one
        rule for every path that shows, extends or reruns a video)."""
        row = await self.db.fetchone(
            f"SELECT {_READ} FROM videos WHERE guild_id = ? AND video_id = ?{_SHOWN}",
            [guild_id, video_id, *viewer.params()],
        )
        return Video.from_row(row) if row else None

    async def known_link(self, url: str, attachment: str | None, serve_key: str | None) -> bool:
        """Whether any server's video has this link (the API's, its Discord attachment's or its served one)."""
        row = await self.db.fetchone(
            "SELECT 1 FROM videos WHERE video_url = ? OR attachment_url = ? OR serve_key = ? LIMIT 1",
            (url, attachment, serve_key),
        )
        return row is not None

    async def by_link(self, guild_id: int, url: str, attachment: str | None, serve_key: str | None) -> Video | None:
        """This server's video with this link: the API's, its Discord attachment's (without the query, which
        changes with every signature) or its served copy's key (deleted or not: the caller decides)."""
        row = await self.db.fetchone(
            f"SELECT {_READ} FROM videos WHERE guild_id = ? AND (video_url = ? OR attachment_url = ? OR serve_key = ?)",
            (guild_id, url, attachment, serve_key),
        )
        return Video.from_row(row) if row else None

    async def by_message(self, guild_id: int, message_id: int) -> Video | None:
        """The video a result message shows, unless it was deleted."""
        row = await self.db.fetchone(
            f"SELECT {_READ} FROM videos WHERE guild_id = ? AND message_id = ? AND deleted_at IS NULL",
            (guild_id, message_id),
        )
        return Video.from_row(row) if row else None

    async def by_serve_key(self, key: str) -> Video | None:
        row = await self.db.fetchone(f"SELECT {_READ} FROM videos WHERE serve_key = ?", (key,))
        return Video.from_row(row) if row else None

    async def set_message(
        self, video_id: str, message_id: int | None, channel_id: int | None, attachment_url: str | None = None
    ) -> None:
        """Where the result was posted, and the attachment that carries the video if it went as a file (its
        link without the query: Discord signs it anew on every fetch)."""
        await self.db.execute(
            "UPDATE videos SET message_id = ?, message_channel_id = ?, attachment_url = ? WHERE video_id = ?",
            (message_id, channel_id, attachment_url, video_id),
        )

    async def recent(
        self,
        guild_id: int,
        viewer: Viewer,
        *,
        user_id: int | None = None,
        search: str | None = None,
        words: list[str] | None = None,
        by_stars: bool = False,
        limit: int = 10,
        offset: int = 0,
    ) -> list[Video]:
        """Newest first (or most starred first), what `viewer` may see. `search` matches the prompt or the id;
        each of `words` must be in the prompt (case-insensitive, literal)."""
        sql = f"SELECT {_READ} FROM videos WHERE guild_id = ?{_SHOWN}"
        params: list[object] = [guild_id, *viewer.params()]
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        if search:
            sql += " AND (LOWER(prompt) LIKE LOWER(?) ESCAPE '\\' OR LOWER(video_id) LIKE LOWER(?) ESCAPE '\\')"
            params += [_contains(search)] * 2
        for word in words or []:
            sql += " AND LOWER(prompt) LIKE LOWER(?) ESCAPE '\\'"
            params.append(_contains(word))
        sql += " ORDER BY " + ("stars DESC, " if by_stars else "") + "created_at DESC, video_id DESC LIMIT ? OFFSET ?"
        params += [limit, offset]
        return [Video.from_row(r) for r in await self.db.fetchall(sql, params)]

    async def recent_results(self, guild_ids: list[int], since: str, limit: int) -> list[Video]:
        """The newest public results since `since` in these servers, with their message: what the showcase reads
        again from Discord at start."""
        if not guild_ids:
            return []
        marks = ", ".join("?" for _ in guild_ids)
        rows = await self.db.fetchall(
            f"SELECT {_READ} FROM videos WHERE guild_id IN ({marks}) AND created_at >= ? AND message_id IS NOT NULL"
            " AND message_channel_id IS NOT NULL AND deleted_at IS NULL AND private = 0 AND spoiler = 0"
            " ORDER BY created_at DESC LIMIT ?",
            [*guild_ids, since, limit],
        )
        return [Video.from_row(r) for r in rows]

    async def extended(self, guild_id: int, video_ids: list[str], viewer: Viewer) -> set[str]:
        """Which of these videos have an extension this viewer may see."""
        if not video_ids:
            return set()
        marks = ", ".join("?" for _ in video_ids)
        rows = await self.db.fetchall(
            # `+guild_id`: not by the server's index (every video of the server) but by the parents' (a few rows)
            f"SELECT DISTINCT parent_video_id FROM videos WHERE parent_video_id IN ({marks}) AND +guild_id = ?{_SHOWN}",
            [*video_ids, guild_id, *viewer.params()],
        )
        return {r["parent_video_id"] for r in rows}

    async def count(self, guild_id: int, viewer: Viewer, *, user_id: int | None = None) -> int:
        sql = f"SELECT COUNT(*) AS n FROM videos WHERE guild_id = ?{_SHOWN}"
        params: list[object] = [guild_id, *viewer.params()]
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        row = await self.db.fetchone(sql, params)
        return int(row["n"]) if row else 0

    async def private_count(self, guild_id: int, since: str) -> int:
        """Private videos made here since `since` (an ISO date): for the admins' usage."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n FROM videos WHERE guild_id = ? AND private = 1 AND created_at >= ?", (guild_id, since)
        )
        return int(row["n"]) if row else 0

    async def mark_deleted(self, video_id: str, by: int) -> bool:
        """Its result message was deleted: the row stays (lineage, the audit of who made what)."""
        changed = await self.db.execute(
            "UPDATE videos SET deleted_at = ?, deleted_by = ? WHERE video_id = ? AND deleted_at IS NULL",
            (self.db.now(), by, video_id),
        )
        return changed == 1

    async def children(self, guild_id: int, video_id: str, viewer: Viewer) -> list[Video]:
        """Its extensions this viewer may see, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_READ} FROM videos WHERE parent_video_id = ? AND +guild_id = ?{_SHOWN} ORDER BY created_at",
            [video_id, guild_id, *viewer.params()],
        )
        return [Video.from_row(r) for r in rows]
