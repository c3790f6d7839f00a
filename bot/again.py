"""Again: the same prompt and options as a new request, with every link in it checked. No Discord here.

A frame uploaded to Discord is handed to the API by its attachment link, which Discord signs for about a
day; after that (and for a few minutes before, the time a render may take to fetch it) the frame is gone, and
the member is offered the form instead. Links of other sites are the member's own: they are handed on.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.luma import VideoRequest
from bot.media.links import link_expires

__all__ = ["FRAMES", "FRAME_MARGIN", "again_request", "gone_frames"]

FRAME_MARGIN = timedelta(minutes=10)
FRAMES = {"start_image_url": "start_frame", "end_image_url": "end_frame"}  # the request's field: its label


def gone_frames(request: VideoRequest, now: datetime) -> list[str]:
    """The frames of `request` whose link no longer works (or will not by the time the API fetches it)."""
    gone = []
    for field, label in FRAMES.items():
        url = getattr(request, field)
        expires = link_expires(url) if url else None
        if expires is not None and expires - FRAME_MARGIN <= now:
            gone.append(label)
    return gone


def again_request(
    request: VideoRequest,
    *,
    prompt: str | None = None,
    frames: dict[str, str | None] | None = None,
    video_url: str | None = None,
) -> VideoRequest:
    """The request to run again: the same options; optionally a new prompt, new frame links (from the form;
    "" removes one) and, for an extension known by link, a link to the video that works now."""
    changes: dict[str, object] = {}
    if prompt is not None:
        changes["prompt"] = prompt.strip()
    for field, value in (frames or {}).items():
        if field in FRAMES:
            changes[field] = value or None
    if video_url and request.video_url and not request.video_id:
        changes["video_url"] = video_url
    again = replace(request, **changes)  # type: ignore[arg-type]
    again.validate()
    return again
