"""Discord's file uploads, as the fake Discord checks them: a `multipart/form-data` body with the message
as `payload_json` and each file as `files[n]` (with a filename), at most 10 files, each within the size
limit of where it goes (413, code 40005, otherwise), and attachments whose URLs are signed and expire."""

from __future__ import annotations

import hashlib
import hmac
import json
import mimetypes
import re
import time
from dataclasses import dataclass
from typing import Any

from .discord_limits import InvalidForm

__all__ = ["MIB", "TooLarge", "Upload", "attachment", "check_uploads", "parse_multipart", "refresh_urls"]

MIB = 1024 * 1024
IS_SPOILER = 1 << 3  # an attachment flag: blurred until clicked
URL_TTL = 24 * 3600  # Discord's attachment links carry ex= (expiry), is= (issued) and hm= (signature)
_FILE_FIELD = re.compile(r"^files\[(\d+)\]$")
_SIGNING_KEY = b"fake-discord-cdn"


class TooLarge(Exception):
    """Discord's 413 `Request entity too large` (code 40005)."""


@dataclass(frozen=True, slots=True)
class Upload:
    index: int
    filename: str
    size: int
    sha256: str


def _disposition(headers: str) -> dict[str, str]:
    for line in headers.split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-disposition":
            return dict(re.findall(r'(\w+)="([^"]*)"', value))
    return {}


def parse_multipart(raw: bytes, content_type: str) -> tuple[dict[str, Any], list[Upload]]:
    """The JSON payload (from `payload_json`, or the plain form fields) and the files of a multipart body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise InvalidForm("", "multipart body without a boundary")
    delimiter = b"--" + match[1].encode()
    payload: dict[str, Any] = {}
    uploads: list[Upload] = []
    for part in raw.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, _, data = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        data = data[:-2] if data.endswith(b"\r\n") else data
        fields = _disposition(head.decode(errors="replace"))
        name = fields.get("name", "")
        if name == "payload_json":
            payload.update(json.loads(data))
        elif field := _FILE_FIELD.match(name):
            if not fields.get("filename"):
                raise InvalidForm(name, "a file needs a filename")
            if any(u.index == int(field[1]) for u in uploads):
                raise InvalidForm(name, "file names must be unique")
            uploads.append(Upload(int(field[1]), fields["filename"], len(data), hashlib.sha256(data).hexdigest()))
        elif name:
            payload[name] = data.decode()
    return payload, uploads


def check_uploads(payload: dict[str, Any], uploads: list[Upload], limit: int) -> None:
    if len(uploads) > 10:
        raise InvalidForm("files", "must be 10 or fewer in length")
    for upload in uploads:
        if upload.size > limit:
            raise TooLarge(upload.filename)
    indexes = {u.index for u in uploads}
    for i, item in enumerate(payload.get("attachments") or []):
        if "filename" in item and int(item["id"]) not in indexes:
            raise InvalidForm(f"attachments.{i}.id", "no files[n] with this id was sent")


def _sign(path: str, expires: int) -> str:
    return hmac.new(_SIGNING_KEY, f"{path}{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def _signed_url(base: str, path: str, now: float) -> str:
    expires = int(now) + URL_TTL
    return f"{base}{path}?ex={expires:x}&is={int(now):x}&hm={_sign(path, expires)}&"


def attachment(attachment_id: int, upload: Upload, channel_id: int, base: str) -> dict[str, Any]:
    path = f"/attachments/{channel_id}/{attachment_id}/{upload.filename}"
    url = _signed_url(base, path, time.time())
    return {
        "id": str(attachment_id),
        "filename": upload.filename,
        "size": upload.size,
        "url": url,
        "proxy_url": url.replace(base, base + "/proxy", 1),
        "content_type": mimetypes.guess_type(upload.filename)[0] or "application/octet-stream",
        # Discord marks a file whose name starts with SPOILER_ (discord.py's File(spoiler=True) names it so)
        "flags": IS_SPOILER if upload.filename.startswith("SPOILER_") else 0,
        "sha256": upload.sha256,  # not Discord's: the fake keeps a digest instead of the bytes, for tests
    }


def refresh_urls(message: dict[str, Any], base: str) -> None:
    """Fetching a message again returns freshly signed attachment URLs."""
    for item in message.get("attachments") or []:
        path = item["url"].split("?", 1)[0].removeprefix(base)
        item["url"] = _signed_url(base, path, time.time())
        item["proxy_url"] = item["url"].replace(base, base + "/proxy", 1)
