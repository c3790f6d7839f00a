"""Which link to give for a video. The API's link expires (weeks); a Discord attachment's URL is signed and
expires within a day, but its message lasts; the bot's served copy lasts as long as the bot. No Discord here.

Preference, for anything read later (history, /luma video, the Open video button):
  1. the served copy, `{PUBLIC_BASE_URL}/media/{key}.mp4` (when set): the route itself falls back to the
     Discord message or the API's link once the copy is pruned, so the link never goes stale;
  2. the Discord message that carries the attachment (its jump link);
  3. the API's link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from bot.store import Video

__all__ = [
    "SERVED_NAME",
    "SERVED_PREFIX",
    "Links",
    "attachment_link",
    "jump_url",
    "link_expires",
    "served_key",
    "unsigned",
    "use_discord_cdn",
]

SERVED_PREFIX = "/media/"
SERVED_NAME = re.compile(r"(?P<key>[A-Za-z0-9_-]{16,64})\.(?P<ext>mp4|jpg|png|webp|gif)$")  # after SERVED_PREFIX
DISCORD_CDN = ("https://cdn.discordapp.com", "https://media.discordapp.net")
_cdn_bases: tuple[str, ...] = DISCORD_CDN


def use_discord_cdn(base: str | None) -> None:
    """Also count attachments under `base` as Discord's (a Discord-compatible server's CDN: DISCORD_CDN_URL)."""
    global _cdn_bases
    _cdn_bases = DISCORD_CDN if not base else (*DISCORD_CDN, base.rstrip("/"))


def unsigned(url: str | None) -> str | None:
    """A Discord attachment URL without its signature (ex, is, hm change with every fetch)."""
    return url.split("?", 1)[0] if url else None


def served_key(url: str) -> str | None:
    """The key of one of the bot's served links (any host: the key alone is the capability)."""
    _, prefix, name = urlsplit(url).path.rpartition(SERVED_PREFIX)
    match = SERVED_NAME.fullmatch(name) if prefix else None
    return match["key"] if match else None


def attachment_link(url: str) -> str | None:
    """A Discord attachment link, unsigned, when `url` is one."""
    if not url.startswith(_cdn_bases):
        return None
    rest = url[len(next(b for b in _cdn_bases if url.startswith(b))) :]
    return unsigned(url) if rest.startswith("/attachments/") else None


def link_expires(url: str) -> datetime | None:
    """When a Discord attachment link stops working (its `ex` parameter, hex seconds); None for any other
    link, or one without an expiry."""
    if attachment_link(url) is None:
        return None
    values = parse_qs(urlsplit(url).query).get("ex")
    try:
        return datetime.fromtimestamp(int(values[0], 16), tz=UTC) if values else None
    except (ValueError, OverflowError):
        return None


def jump_url(guild_id: int | None, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"


@dataclass(frozen=True, slots=True)
class Links:
    base_url: str | None = None  # PUBLIC_BASE_URL: the bot serves its kept copies there

    def served(self, video: Video, kind: str = "video") -> str | None:
        if not self.base_url or not video.serve_key:
            return None
        return f"{self.base_url.rstrip('/')}{SERVED_PREFIX}{video.serve_key}.{'mp4' if kind == 'video' else 'jpg'}"

    @staticmethod
    def message(video: Video) -> str | None:
        """The jump link of the result message, when that message carries the video as an attachment."""
        return Links.result_jump(video) if video.attachment_url else None

    @staticmethod
    def result_jump(video: Video) -> str | None:
        """The jump link of the result message, whatever it carries (None before it is posted)."""
        if not video.message_id or not video.message_channel_id:
            return None
        guild = None if video.message_channel_id != video.channel_id else video.guild_id
        return jump_url(guild, video.message_channel_id, video.message_id)

    def lasting(self, video: Video) -> str:
        """The link that plays longest: see the module's docstring."""
        return self.served(video) or self.message(video) or video.video_url

    def thumbnail(self, video: Video) -> str | None:
        if not video.thumbnail_url:
            return None
        return self.served(video, "thumbnail") or video.thumbnail_url
