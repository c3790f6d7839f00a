"""Serving the kept copies under an unguessable path (PUBLIC_BASE_URL/media/{key}.mp4|.jpg): from the disk with
Range requests (players seek), or by a redirect to a presigned link of the bucket that holds them (the shelf
decides: `shelf.py`). No Discord here.

A copy that is not on disk (still downloading, given up on, or pruned) is not an error for whoever holds
the link: they are sent on to where the video still plays, the Discord message that carries it, else the
API's own link. So a served link, once handed out, always leads somewhere.
"""

from __future__ import annotations

import asyncio
import logging
import re

from aiohttp import web

from bot.store import MediaStore, VideoStore

from .frames import FRAME_TYPES, Frames
from .links import SERVED_NAME, SERVED_PREFIX, Links
from .shelf import DiskShelf, Shelf

__all__ = ["MediaRoute"]

NO_STORE = {"Cache-Control": "no-store"}

_KINDS = {"mp4": ("video", "video/mp4"), "jpg": ("thumbnail", "image/jpeg")}
log = logging.getLogger(__name__)


class MediaRoute:
    """The served copies. Sending a file holds a connection for as long as its reader takes: so at most
    `max_streams` are sent at once (past that, 503 and Retry-After, at once), and each within `send_timeout` seconds
    (a reader that stalls or trickles is cut off), leaving the web port to callbacks and /healthz."""

    def __init__(
        self,
        videos: VideoStore,
        media: MediaStore,
        shelf: Shelf | None = None,
        frames: Frames | None = None,
        *,
        max_streams: int = 8,
        send_timeout: float = 120.0,
    ) -> None:
        self.videos = videos
        self.media = media
        self.shelf: Shelf = shelf or DiskShelf()
        self.frames = frames  # the kept pictures members handed the bot (bot/media/frames.py), served the same way
        self.max_streams = max_streams
        self.send_timeout = send_timeout
        self.streaming = 0
        self.refused = 0  # turned away with 503: every stream was taken
        self.cut_off = 0  # readers that did not take their file within send_timeout

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(SERVED_PREFIX + "{name}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        match = SERVED_NAME.fullmatch(request.match_info["name"])
        video = await self.videos.by_serve_key(match["key"]) if match else None
        if match is not None and video is None and self.frames is not None:
            return await self._frame(request, match["key"], match["ext"])
        if match is None or video is None or video.deleted_at is not None or match["ext"] not in _KINDS:
            raise web.HTTPNotFound()  # a deleted result is not served, nor pointed to
        kind, content_type = _KINDS[match["ext"]]
        item = next((f for f in await self.media.of(video.video_id) if f.kind == kind), None)
        if item is not None and item.state == "kept" and item.path:
            headers = {"Content-Type": content_type, "X-Content-Type-Options": "nosniff"}
            if "download" in request.query:  # the gallery's Download: saved, not played
                name = re.sub(r"[^\w.-]", "_", video.video_id)[:80]
                headers["Content-Disposition"] = f'attachment; filename="luma-{name}.{match["ext"]}"'
            response = await self._send(request, item.path, headers)
            if response is not None:
                return response
        elsewhere = (Links.message(video) or video.video_url) if kind == "video" else video.thumbnail_url
        if not elsewhere:
            raise web.HTTPNotFound()
        raise web.HTTPFound(elsewhere, headers=NO_STORE)  # where it plays today; a cache must not keep the answer

    async def _send(self, request: web.Request, location: str, headers: dict[str, str]) -> web.StreamResponse | None:
        if self.streaming >= self.max_streams:
            self.refused += 1
            raise web.HTTPServiceUnavailable(headers={"Retry-After": "5", **NO_STORE}, text="busy: try again soon")
        self.streaming += 1
        try:
            async with asyncio.timeout(self.send_timeout):
                return await self.shelf.respond(request, location, headers)
        except TimeoutError:
            self.cut_off += 1
            log.info("cut off a reader that took more than %.0fs over a served copy", self.send_timeout)
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPRequestTimeout() from None  # nothing more is sent: the connection is gone
        finally:
            self.streaming -= 1

    async def _frame(self, request: web.Request, key: str, ext: str) -> web.StreamResponse:
        """A kept picture (a member's frame), under the extension of its type; nothing to redirect to when gone."""
        assert self.frames is not None
        frame = await self.frames.store.get(key)
        kind = frame.content_type if frame is not None else None
        if frame is None or FRAME_TYPES.get(kind or "", "png") != ext:
            raise web.HTTPNotFound()
        item = next((f for f in await self.media.of(frame.id) if f.kind == "frame"), None)
        if item is not None and item.state == "kept" and item.path:
            headers = {"Content-Type": kind or "image/png", "X-Content-Type-Options": "nosniff"}
            response = await self._send(request, item.path, headers)
            if response is not None:
                return response
        raise web.HTTPNotFound()
