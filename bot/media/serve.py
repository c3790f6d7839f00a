"""Serving the kept copies under an unguessable path (PUBLIC_BASE_URL/media/{key}.mp4|.jpg): from the disk with
Range requests (players seek), or by a redirect to a presigned link of the bucket that holds them (the shelf
decides: `shelf.py`). No Discord here.

A copy that is not on disk (still downloading, given up on, or pruned) is not an error for whoever holds
the link: they are sent on to where the video still plays, the Discord message that carries it, else the
API's own link. So a served link, once handed out, always leads somewhere.
"""

from __future__ import annotations

from aiohttp import web

from bot.store import MediaStore, VideoStore

from .frames import FRAME_TYPES, Frames
from .links import SERVED_NAME, SERVED_PREFIX, Links
from .shelf import DiskShelf, Shelf

__all__ = ["MediaRoute"]

_KINDS = {"mp4": ("video", "video/mp4"), "jpg": ("thumbnail", "image/jpeg")}


class MediaRoute:
    def __init__(
        self, videos: VideoStore, media: MediaStore, shelf: Shelf | None = None, frames: Frames | None = None
    ) -> None:
        self.videos = videos
        self.media = media
        self.shelf: Shelf = shelf or DiskShelf()
        self.frames = frames  # the kept pictures members handed the bot (bot/media/frames.py), served the same way

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
            response = await self.shelf.respond(request, item.path, headers)
            if response is not None:
                return response
        elsewhere = (Links.message(video) or video.video_url) if kind == "video" else video.thumbnail_url
        if not elsewhere:
            raise web.HTTPNotFound()
        raise web.HTTPFound(elsewhere)

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
            response = await self.shelf.respond(request, item.path, headers)
            if response is not None:
                return response
        raise web.HTTPNotFound()
