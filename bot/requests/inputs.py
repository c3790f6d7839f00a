"""Checks of what members type and upload, with sentences they understand. No Discord here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.errors import InputError
from bot.i18n import N_, _, size
from bot.luma.models import is_http_url

__all__ = [
    "MAX_IMAGE_BYTES",
    "ImageFile",
    "InputError",
    "VideoRef",
    "image_in_message",
    "parse_video_ref",
    "pick_image",
]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
_VIDEO_ID = re.compile(r"^[A-Za-z0-9][\w:.-]{0,79}$")


@dataclass(frozen=True, slots=True)
class ImageFile:
    url: str
    filename: str
    content_type: str | None
    size: int


FRAME_LABELS = {  # what the member calls each image (the option or the form field), shown translated
    "start_image": N_("start image"),
    "end_image": N_("end image"),
    "end_frame": N_("end frame"),
    "start_frame": N_("start frame"),
    "image": N_("image"),
}


def pick_image(label: str, file: ImageFile | None, url: str | None) -> str | None:
    """The link to send for one frame: from an uploaded image or a typed link (not both)."""
    url = url.strip() if url else None
    shown = _(FRAME_LABELS[label])
    if file is not None and url:
        raise InputError(_("Give the {label} as a file or as a link, not both.").format(label=shown))
    if file is not None:
        kind = (file.content_type or "").split(";")[0].strip().lower()
        if kind not in IMAGE_TYPES:
            raise InputError(
                _("The {label} must be a PNG, JPEG, WebP or GIF image (got {file}).").format(
                    label=shown, file=file.filename
                )
            )
        if file.size > MAX_IMAGE_BYTES:
            raise InputError(
                _("The {label} is too large ({size}; at most 10 MB).").format(label=shown, size=size(file.size))
            )
        return file.url
    if url:
        if not is_http_url(url) or len(url) > 2000:
            raise InputError(_("The {label} link must start with http:// or https://.").format(label=shown))
        return url
    return None


NO_IMAGE = N_("That message holds no image I can animate (a PNG, JPEG, WebP or GIF, up to 10 MB).")


def image_in_message(files: list[ImageFile], embed_images: list[str]) -> str:
    """The first image of a message that can be a start frame: an attached image, else an embed's image (a
    link preview). InputError when there is none."""
    for file in files:
        try:
            found = pick_image("image", file, None)
        except InputError:
            continue
        if found:
            return found
    for url in embed_images:
        if is_http_url(url) and len(url) <= 2000:
            return url
    raise InputError(_(NO_IMAGE))


@dataclass(frozen=True, slots=True)
class VideoRef:
    """What a member named as the video to extend: an id, or a link (maybe one of ours)."""

    video_id: str | None = None
    url: str | None = None


def parse_video_ref(text: str) -> VideoRef:
    text = text.strip().strip("<>")
    if is_http_url(text):
        return VideoRef(url=text)
    if urlsplit(text).scheme:
        raise InputError(_("A video link must start with http:// or https://."))
    if not _VIDEO_ID.match(text):
        raise InputError(_("That is not a video id or link. Pick a video from the list, or paste its link."))
    return VideoRef(video_id=text)
