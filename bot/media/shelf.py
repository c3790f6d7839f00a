"""Where the kept copies live: a folder on the bot's disk (the default), or an S3-compatible bucket (`s3.py`)
for hosts whose disk does not last. No Discord here.

The archiver always streams a download into its folder first (`.part`, then renamed: whole or absent). A
shelf then takes the whole file and answers with its *location*, the text recorded in the media table:

* `DiskShelf`: the file is already where it belongs; its path is the location;
* `S3Shelf`: the file is uploaded; `s3:<key>` is the location, and the local file stays only as a cache
  (for the upload to Discord that follows at once), tidied away later.

The same location is then read back to attach the file (`local`), served (`respond`) and removed (`remove`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

from bot.extras import needs_extra

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["S3_LOCATION", "DiskShelf", "S3Place", "Shelf", "ShelfError", "open_shelf"]

log = logging.getLogger(__name__)

S3_LOCATION = "s3:"  # a location in the bucket is this, then the object's key; anything else is a disk path


@dataclass(frozen=True, slots=True)
class S3Place:
    """Where a bucket is and how to reach it (the MEDIA_S3_* settings; the client itself is in `s3.py`)."""

    bucket: str
    endpoint_url: str | None = None  # empty: AWS itself
    region: str | None = None
    access_key_id: str | None = None  # empty: the usual AWS credential chain (AWS_* variables, a role)
    secret_access_key: str | None = None
    prefix: str = "luma-bot/"

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Place | None:
        if not settings.media_s3_bucket:
            return None
        secret = settings.media_s3_secret_access_key
        return cls(
            bucket=settings.media_s3_bucket,
            endpoint_url=settings.media_s3_endpoint_url,
            region=settings.media_s3_region,
            access_key_id=settings.media_s3_access_key_id,
            secret_access_key=secret.get() if secret else None,
            prefix=settings.media_s3_prefix,
        )

    def __str__(self) -> str:
        return f"bucket {self.bucket} at {self.endpoint_url or 'AWS S3'}"


class ShelfError(Exception):
    """The shelf could not take, give or remove a file now (the store is down, the disk full); worth retrying."""


class Shelf(Protocol):
    async def put(self, path: Path, name: str) -> str:
        """Keep the whole file at `path` (`name`: its place, e.g. `ab/abc123.mp4`); return its location."""
        ...

    async def local(self, location: str, path: Path) -> Path | None:
        """A local file with the bytes of `location` (fetched to `path` when need be); None if they are gone."""
        ...

    async def respond(self, request: web.Request, location: str, headers: dict[str, str]) -> web.StreamResponse | None:
        """Answer a request for the copy at `location`; None if it is not there."""
        ...

    async def remove(self, location: str) -> None:
        """Delete the copy (a copy already gone is not an error)."""
        ...

    async def tidy(self) -> None:
        """Periodic housekeeping (a cache to trim)."""
        ...

    async def adopt(self, folder: Path, keep: set[str]) -> int:
        """At start: take charge of the files a run before left in `folder` (a cache to trim in time), except those
        in `keep` (copies whose home is that disk); return how many."""
        ...

    async def close(self) -> None: ...


async def open_shelf(settings: Settings) -> Shelf:
    """MEDIA_DIR's shelf, or the bucket of MEDIA_S3_BUCKET, reached once now: a wrong name or key is said at
    start (a ShelfError whose message is the owner's sentence), not at the first video; MissingExtra when the
    s3 extra is not installed."""
    place = S3Place.from_settings(settings)
    if place is None:
        return DiskShelf()
    s3 = needs_extra("s3", "bot.media.s3", "MEDIA_S3_BUCKET")
    try:
        shelf: Shelf = await s3.S3Shelf.open(place)
    except ShelfError as exc:
        raise ShelfError(f"the media bucket cannot be used ({exc}): check MEDIA_S3_*") from None
    return shelf


class SentFile(web.FileResponse):
    """A file response sent inside the handler (so that the connection counts as busy meanwhile). aiohttp prepares
    the response the handler returns once more; FileResponse, unlike other responses, would then send it again
    (a traceback for every copy served, and a 416 never ended): once sent, it is done."""

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        if self.prepared:
            return self._payload_writer
        return await super().prepare(request)


class DiskShelf:
    """The copies stay in MEDIA_DIR, served with aiohttp's FileResponse (Range requests: players seek)."""

    async def put(self, path: Path, name: str) -> str:
        return str(path)

    async def local(self, location: str, path: Path) -> Path | None:
        found = Path(location)
        return found if await asyncio.to_thread(found.is_file) else None

    async def respond(self, request: web.Request, location: str, headers: dict[str, str]) -> web.StreamResponse | None:
        if not await asyncio.to_thread(Path(location).is_file):
            return None
        # private: a shared cache (a CDN in front of the bot) must not keep serving a copy after its video is deleted
        response = SentFile(location, headers={**headers, "Cache-Control": "private, max-age=3600"})
        try:
            await response.prepare(request)  # sent inside the handler: the connection counts as busy meanwhile
        except ConnectionError:
            log.debug("a client left while a copy was being served")
        return response

    async def remove(self, location: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(os.remove, location)

    async def tidy(self) -> None:
        return None

    async def adopt(self, folder: Path, keep: set[str]) -> int:
        return 0  # every file there is a kept copy, recorded as such

    async def close(self) -> None:
        return None
