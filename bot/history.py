"""The server's video history: finding a video to extend, pages, ages. No Discord here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.inputs import InputError, VideoRef, parse_video_ref
from bot.luma import VideoRequest
from bot.store import Video, VideoStore

__all__ = ["ExtendTarget", "HistoryPage", "age", "history_page", "resolve_extend_target"]

PAGE_SIZE = 10


def age(then: datetime | None, now: datetime) -> str:
    """'just now', '5m ago', '3h ago', '2d ago': for places Discord timestamps don't render (choices)."""
    if then is None:
        return "?"
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


@dataclass(frozen=True, slots=True)
class ExtendTarget:
    """The video to continue: one of this guild's (`video`) or any public link (`url`)."""

    video: Video | None = None
    url: str | None = None

    @property
    def parent_id(self) -> str | None:
        return self.video.video_id if self.video else None

    def request(self, prompt: str, end_image_url: str | None = None) -> VideoRequest:
        if self.video is not None and self.video.luma_video_id:
            return VideoRequest.extend(prompt, video_id=self.video.luma_video_id, end_image_url=end_image_url)
        url = self.video.video_url if self.video is not None else self.url
        return VideoRequest.extend(prompt, video_url=url, end_image_url=end_image_url)


async def resolve_extend_target(videos: VideoStore, guild_id: int, text: str) -> ExtendTarget:
    """An id must be one of this guild's videos; a link is ours if we know it, else sent as a link."""
    ref: VideoRef = parse_video_ref(text)
    if ref.url is not None:
        known = await videos.by_url(guild_id, ref.url)
        return ExtendTarget(video=known) if known else ExtendTarget(url=ref.url)
    assert ref.video_id is not None
    video = await videos.get(guild_id, ref.video_id)
    if video is not None:
        return ExtendTarget(video=video)
    if await videos.exists_elsewhere(guild_id, ref.video_id):
        raise InputError("That video was made in another server; you can only extend this server's videos.")
    raise InputError(f"No video `{ref.video_id[:80]}` in this server's history. Pick one from the list.")


@dataclass(frozen=True, slots=True)
class HistoryPage:
    videos: list[Video]
    page: int  # 1-based
    pages: int
    total: int


async def history_page(videos: VideoStore, guild_id: int, page: int, user_id: int | None = None) -> HistoryPage:
    total = await videos.count(guild_id, user_id=user_id)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = await videos.recent(guild_id, user_id=user_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return HistoryPage(rows, page, pages, total)
