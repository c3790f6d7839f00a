"""The pictures members hand the bot from Discord, and a link to each that works when the API needs it. No Discord.

A frame uploaded with a command is an *ephemeral* attachment: Discord removes it "after a set period of time"
(message.mdx, Attachment Object) that it does not state, possibly long before its signed link's expiry (`ex`, about
a day). The picture of Apps › Animate image lives as long as its message, but its signed link expires all the
same, and without the Message Content intent the bot cannot read the message again to sign it afresh. So each such
picture is recorded and kept like a result (downloaded, on the disk or in the bucket, served under
PUBLIC_BASE_URL), and whenever a link must go to the API (a job leaving the line, Again, the Animate form) it is:

  1. the Discord link, while it still works: an upload within UPLOAD_LINK_LIFETIME of being sent (a setting: the
     docs leave the time open), any attachment before its signed expiry (less a margin: the time a render may take
     to fetch it);
  2. else the bot's served copy, when PUBLIC_BASE_URL is set and the copy is kept;
  3. else none: the member is asked again (the form), or the request goes as it was (the API's refusal is refunded).

A link of any other site is the member's own: it is handed on as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot.clock import Clock, system_clock
from bot.luma import VideoRequest
from bot.store import Database, Frame, FrameStore, MediaStore

from .links import SERVED_PREFIX, attachment_link, link_expires

__all__ = ["FRAMES", "FRAME_MARGIN", "FRAME_TYPES", "Frames"]

FRAME_MARGIN = timedelta(minutes=10)
FRAMES = {"start_image_url": "start_frame", "end_image_url": "end_frame"}  # the request's field: its label
FRAME_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


class Frames:
    def __init__(
        self,
        db: Database,
        *,
        base_url: str | None = None,
        upload_lifetime: float = 900.0,
        keep: Callable[[str], Awaitable[None]] | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.db = db
        self.store = FrameStore(db)
        self.media = MediaStore(db)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.upload_lifetime = timedelta(seconds=upload_lifetime)
        self.keep = keep  # starts keeping a frame's copy (the archiver), once it is recorded
        self.clock = clock

    async def record(self, guild_id: int, url: str, *, ephemeral: bool, content_type: str | None) -> Frame:
        """Remember a picture; a Discord attachment is also kept (its copy due in the same transaction)."""
        attachment = attachment_link(url)
        async with self.db.transaction() as tx:
            frame = await self.store.add(
                tx, guild_id, url, attachment or url, ephemeral=ephemeral, content_type=content_type
            )
            if attachment is not None:
                await self.media.due(tx, frame.id, {"frame": url})
        if attachment is not None and self.keep is not None:
            await self.keep(frame.id)
        return frame

    async def get(self, guild_id: int, frame_id: str) -> Frame | None:
        frame = await self.store.get(frame_id)
        return frame if frame is not None and frame.guild_id == guild_id else None

    def served(self, frame: Frame) -> str | None:
        if not self.base_url:
            return None
        return f"{self.base_url}{SERVED_PREFIX}{frame.id}.{FRAME_TYPES.get(frame.content_type or '', 'png')}"

    async def working(self, guild_id: int, url: str) -> str | None:
        """A link to this picture that the API can fetch now, or None (see the module's docstring)."""
        attachment = attachment_link(url)
        if attachment is None:
            return url  # the member's own link
        frame = await self.store.by_attachment(guild_id, attachment)
        if self._alive(url, frame, self.clock()):
            return url
        if frame is not None and (served := self.served(frame)):
            if any(f.kind == "frame" and f.state == "kept" for f in await self.media.of(frame.id)):
                return served
        return None

    def _alive(self, url: str, frame: Frame | None, now: datetime) -> bool:
        expires = link_expires(url)
        if expires is not None and expires - FRAME_MARGIN <= now:
            return False
        return frame is None or not frame.ephemeral or now - frame.created_at < self.upload_lifetime

    async def usable(self, guild_id: int, request: VideoRequest) -> tuple[VideoRequest, list[str]]:
        """The request with a working link for each of its frames, and the labels of the frames with none (those
        keep their old link in the returned request)."""
        changes: dict[str, str] = {}
        gone: list[str] = []
        for field, label in FRAMES.items():
            url = getattr(request, field)
            if not url:
                continue
            link = await self.working(guild_id, url)
            if link is None:
                gone.append(label)
            elif link != url:
                changes[field] = link
        return (replace(request, **changes) if changes else request), gone  # type: ignore[arg-type]
