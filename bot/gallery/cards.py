"""What a gallery page shows of each video: a card, with the links the page needs. No Discord here.

A card plays from the bot's kept copy when there is one (served with Range by bot/media/serve.py), else from the API's
own link; its poster is the kept thumbnail, else the API's. Every link is absolute, under PUBLIC_BASE_URL or the API's
host: the page's Content-Security-Policy names each host the page uses, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.luma.camera import camera_label
from bot.media import Links
from bot.store import Video

__all__ = ["Card", "make_cards", "origin"]


def origin(url: str | None) -> str | None:
    """scheme://host[:port] of a link, for the Content-Security-Policy; None for anything that is not http(s)."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


@dataclass(frozen=True, slots=True)
class Card:
    video_id: str
    prompt: str
    camera: str | None
    user_id: int
    author: str
    stars: int
    created: str  # ISO 8601, for <time>
    day: str  # the date shown
    src: str
    poster: str | None
    download: str
    discord: str | None  # the result message in Discord
    private: bool
    spoiler: bool
    extension: bool  # it continues another video
    extended: bool  # another video continues it
    width: int | None
    height: int | None


def make_cards(
    videos: list[Video], kept: set[tuple[str, str]], names: dict[int, str], links: Links, extended: set[str]
) -> list[Card]:
    cards = []
    for video in videos:
        own = (video.video_id, "video") in kept
        src = links.served(video) if own else None
        poster = links.served(video, "thumbnail") if (video.video_id, "thumbnail") in kept else video.thumbnail_url
        created = video.created_at
        cards.append(
            Card(
                video_id=video.video_id,
                prompt=video.prompt,
                camera=camera_label(video.camera),
                user_id=video.user_id,
                author=names.get(video.user_id) or str(video.user_id),
                stars=video.stars,
                created=created.isoformat() if created else "",
                day=created.date().isoformat() if created else "",
                src=src or video.video_url,
                poster=poster,
                download=f"{src}?download=1" if src else video.video_url,
                discord=None if video.private else Links.result_jump(video),
                private=video.private,
                spoiler=video.spoiler,
                extension=bool(video.parent_video_id),
                extended=video.video_id in extended,
                width=video.width,
                height=video.height,
            )
        )
    return cards
