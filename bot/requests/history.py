"""The server's video history: finding a video to extend, pages, ages. No Discord here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.errors import InputError
from bot.i18n import N_, _, ago
from bot.luma import VideoRequest
from bot.media import attachment_link, served_key
from bot.requests.inputs import VideoRef, parse_video_ref
from bot.requests.options import VideoOptions
from bot.store import Video, VideoStore, Viewer

__all__ = [
    "NOT_IN_THIS_SERVER",
    "ExtendTarget",
    "HistoryPage",
    "age",
    "find_video",
    "history_page",
    "resolve_extend_target",
]

PAGE_SIZE = 10


def age(then: datetime | None, now: datetime) -> str:
    """'just now', '5m ago', '3h ago', '2d ago': for places Discord timestamps don't render (choices)."""
    if then is None:
        return "?"
    seconds = max(0, int((now - then).total_seconds()))
    return ago(seconds) if seconds >= 60 else _("just now")


@dataclass(frozen=True, slots=True)
class ExtendTarget:
    """The video to continue: one of this guild's (`video`) or any public link (`url`)."""

    video: Video | None = None
    url: str | None = None

    @property
    def parent_id(self) -> str | None:
        return self.video.video_id if self.video else None

    @property
    def spoiler(self) -> bool | None:
        """An extension of a video behind a spoiler goes behind one too (else the member's or server's choice)."""
        return True if self.video is not None and self.video.spoiler else None

    @property
    def private(self) -> bool | None:
        """An extension of a private video is private too (else the member's choice)."""
        return True if self.video is not None and self.video.private else None

    @property
    def camera(self) -> str | None:
        """An extension keeps its video's camera move unless the member picks another."""
        return self.video.camera if self.video is not None else None

    @property
    def needs_link(self) -> bool:
        """A video of ours the API knows only by its link (it gave no id): that link may have expired."""
        return self.video is not None and not self.video.luma_video_id

    def request(
        self,
        prompt: str,
        options: VideoOptions,
        end_image_url: str | None = None,
        link_now: str | None = None,
        camera: str | None = None,
    ) -> VideoRequest:
        """The extend request, with the options every path resolves the same way (bot/requests/options.py). By the
        API's id when it gave one; else by `link_now` (a link that works today: the served copy, or the
        Discord attachment fetched afresh), else by the API's own link."""
        common = {
            "end_image_url": end_image_url,
            "loop": options.loop,
            "enhancement": options.enhancement,
            "camera": camera,
        }
        if self.video is not None and self.video.luma_video_id:
            return VideoRequest.extend(prompt, video_id=self.video.luma_video_id, **common)
        url = (link_now or self.video.video_url) if self.video is not None else self.url
        return VideoRequest.extend(prompt, video_url=url, **common)


VIDEO_GONE = N_("That video is not in this server's history any more.")  # a button or form on an old message
NOT_IN_THIS_SERVER = N_("No such video in this server's history. Pick one from the list, or paste a video link.")


async def find_video(videos: VideoStore, guild_id: int, video_id: str, viewer: Viewer) -> Video:
    """One of this server's videos by id, as members may see it (VideoStore.shown). Another server's video, a
    deleted one, another member's private one and (outside an age-restricted channel) one made in such a channel
    are answered exactly like a missing one: nothing is said of where else a video exists."""
    video = await videos.shown(guild_id, video_id.strip(), viewer)
    if video is None:
        raise InputError(_(NOT_IN_THIS_SERVER))
    return video


async def resolve_extend_target(videos: VideoStore, guild_id: int, text: str, viewer: Viewer) -> ExtendTarget:
    """An id or a link of one of this server's videos (the API's link, the Discord attachment's, or the bot's
    served copy); a link the bot does not know goes to the API as a link. A link of another server's video,
    of a deleted one or of one members may not see here is refused like an unknown id (one rule for every path)."""
    ref: VideoRef = parse_video_ref(text)
    if ref.url is not None:
        link = (ref.url, attachment_link(ref.url), served_key(ref.url))
        known = await videos.by_link(guild_id, *link)
        if known is not None:
            return ExtendTarget(video=await find_video(videos, guild_id, known.video_id, viewer))
        if await videos.known_link(*link):
            raise InputError(_(NOT_IN_THIS_SERVER))
        return ExtendTarget(url=ref.url)
    assert ref.video_id is not None
    return ExtendTarget(video=await find_video(videos, guild_id, ref.video_id, viewer))


@dataclass(frozen=True, slots=True)
class HistoryPage:
    videos: list[Video]
    page: int  # 1-based
    pages: int
    total: int


async def history_page(
    videos: VideoStore, guild_id: int, page: int, viewer: Viewer, user_id: int | None = None
) -> HistoryPage:
    total = await videos.count(guild_id, viewer, user_id=user_id)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    offset = (page - 1) * PAGE_SIZE
    rows = await videos.recent(guild_id, viewer, user_id=user_id, limit=PAGE_SIZE, offset=offset)
    return HistoryPage(rows, page, pages, total)
