"""Again: the same prompt and options as a new request, with every link in it checked. No Discord here.

Its frames are handed to the API by links that work now (bot/media/frames.py: the Discord link while it lives,
else the bot's own served copy); a frame with none is not sent blind: the member is offered the form instead.
"""

from __future__ import annotations

from dataclasses import replace

from bot.luma import VideoRequest
from bot.luma.camera import check_camera
from bot.media.frames import FRAMES

__all__ = ["FRAMES", "again_request"]


def again_request(
    request: VideoRequest,
    *,
    prompt: str | None = None,
    frames: dict[str, str | None] | None = None,
    video_url: str | None = None,
    camera: str | None = None,
) -> VideoRequest:
    """The request to run again: the same options; optionally a new prompt, new frame links (from the form;
    "" removes one), a new camera move ("" none) and, for an extension known by link, a link to the video that works
    now."""
    changes: dict[str, object] = {}
    if camera is not None:
        changes["camera"] = check_camera(camera)
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
