"""The kept copies in an S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO, …), for hosts whose
disk does not last: `MEDIA_S3_BUCKET` and friends, on aiobotocore (pip install 'luma-bot[s3]'). No Discord here.

* uploads are multipart in 8 MiB parts read from the finished local file in a worker thread: memory stays at
  one part whatever the video's size, and a file under 8 MiB is one PUT;
* the local file stays as a cache for the upload to Discord that follows at once; `tidy()` removes cached
  files older than `cache_for`, and `local()` fetches an evicted one back when a redelivery needs it;
* a served link answers with a redirect to a presigned GET (an hour): the bucket stays private, the bytes
  and the Range requests of players go to the store, not through the bot;
* a location that is not `s3:` (a copy kept on disk before the switch) is still read, served and removed
  from the disk, so switching loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
from aiobotocore.config import AioConfig  # the optional extra: pip install 'luma-bot[s3]'
from aiobotocore.session import get_session
from aiohttp import web
from botocore.exceptions import BotoCoreError, ClientError

from .shelf import S3_LOCATION, DiskShelf, S3Place, ShelfError

__all__ = ["S3Shelf"]

log = logging.getLogger(__name__)

PART = 8 * 1024 * 1024  # S3's parts are at least 5 MiB (all but the last)
CHUNK = 256 * 1024
LINK_SECONDS = 3600
_CONTENT_TYPES = {".mp4": "video/mp4", ".jpg": "image/jpeg"}
_FAILURES = (ClientError, BotoCoreError, aiohttp.ClientError, OSError, TimeoutError)


def _missing(exc: BaseException) -> bool:
    if not isinstance(exc, ClientError):
        return False
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error.get("Code") in ("404", "NoSuchKey", "NotFound") or status == 404


def _key_of(location: str) -> str | None:
    """The object's key of a location in the bucket; None for a disk path (a copy kept before the switch)."""
    return location.removeprefix(S3_LOCATION) if location.startswith(S3_LOCATION) else None


class S3Shelf:
    def __init__(self, client: Any, place: S3Place, stack: AsyncExitStack, *, cache_for: float = 900.0) -> None:
        self.client = client
        self.place = place
        self.cache_for = cache_for
        self._stack = stack
        self._disk = DiskShelf()
        self._cached: dict[str, tuple[Path, float]] = {}  # location: the local file uploaded or fetched, when

    @classmethod
    async def open(cls, place: S3Place, **kwargs: Any) -> S3Shelf:
        """Connect and check that the bucket answers; a ShelfError says why not (for a start-up sentence)."""
        config = AioConfig(
            connect_timeout=10,
            read_timeout=60,
            retries={"max_attempts": 4, "mode": "standard"},
            # path-style for any own endpoint: MinIO and most compatible stores need it, R2 and B2 accept it
            s3={"addressing_style": "path" if place.endpoint_url else "auto"},
        )
        stack = AsyncExitStack()
        client = await stack.enter_async_context(
            get_session().create_client(
                "s3",
                endpoint_url=place.endpoint_url,
                region_name=place.region or "us-east-1",
                aws_access_key_id=place.access_key_id,
                aws_secret_access_key=place.secret_access_key,
                config=config,
            )
        )
        try:
            await client.head_bucket(Bucket=place.bucket)
        except _FAILURES as exc:
            await stack.aclose()
            raise ShelfError(f"{place}: {_reason(exc)}") from None
        return cls(client, place, stack, **kwargs)

    async def close(self) -> None:
        await self._stack.aclose()

    def key(self, name: str) -> str:
        return f"{self.place.prefix}{name}"

    async def put(self, path: Path, name: str) -> str:
        key = self.key(name)
        try:
            await self._upload(path, key, _CONTENT_TYPES.get(path.suffix, "application/octet-stream"))
        except _FAILURES as exc:
            raise ShelfError(f"upload to the bucket failed: {_reason(exc)}") from None
        location = f"{S3_LOCATION}{key}"
        self._cached[location] = (path, time.monotonic())
        return location

    async def _upload(self, path: Path, key: str, content_type: str) -> None:
        bucket = self.place.bucket
        with open(path, "rb") as source:  # noqa: ASYNC230 (every read is one part, in a worker thread)
            first = await asyncio.to_thread(source.read, PART)
            if len(first) < PART:
                await self.client.put_object(Bucket=bucket, Key=key, Body=first, ContentType=content_type)
                return
            upload = await self.client.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)
            upload_id = upload["UploadId"]
            parts, number, chunk = [], 1, first
            try:
                while chunk:
                    sent = await self.client.upload_part(
                        Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk
                    )
                    parts.append({"ETag": sent["ETag"], "PartNumber": number})
                    number += 1
                    chunk = await asyncio.to_thread(source.read, PART)
                await self.client.complete_multipart_upload(
                    Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
            except BaseException:
                with contextlib.suppress(*_FAILURES):  # no half upload left behind to pay for
                    await self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
                raise

    async def local(self, location: str, path: Path) -> Path | None:
        key = _key_of(location)
        if key is None:
            return await self._disk.local(location, path)
        if await asyncio.to_thread(path.is_file):  # still cached from its download
            return path
        partial = path.with_name(path.name + ".part")
        try:
            answer = await self.client.get_object(Bucket=self.place.bucket, Key=key)
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            async with answer["Body"] as body:
                with open(partial, "wb") as out:  # noqa: ASYNC230 (one chunk at a time, to a local disk)
                    while chunk := await body.read(CHUNK):
                        out.write(chunk)
            os.replace(partial, path)
        except _FAILURES as exc:
            partial.unlink(missing_ok=True)
            if not _missing(exc):
                log.warning("could not fetch %s from the bucket (%s)", location, _reason(exc))
            return None
        self._cached[location] = (path, time.monotonic())
        return path

    async def respond(self, request: web.Request, location: str, headers: dict[str, str]) -> web.StreamResponse | None:
        key = _key_of(location)
        if key is None:
            return await self._disk.respond(request, location, headers)
        params = {"Bucket": self.place.bucket, "Key": key}
        try:
            await self.client.head_object(**params)
            link = await self.client.generate_presigned_url(
                "get_object",
                Params={**params, **_response_headers(headers)},
                ExpiresIn=LINK_SECONDS,
            )
        except _FAILURES as exc:
            if not _missing(exc):
                log.warning("could not reach %s in the bucket (%s)", location, _reason(exc))
            return None
        # a short cache: the presigned link itself lasts an hour
        return web.Response(status=302, headers={"Location": link, "Cache-Control": "private, max-age=300"})

    async def remove(self, location: str) -> None:
        key = _key_of(location)
        if key is None:
            await self._disk.remove(location)
            return
        try:
            await self.client.delete_object(Bucket=self.place.bucket, Key=key)
        except _FAILURES as exc:
            raise ShelfError(f"delete in the bucket failed: {_reason(exc)}") from None
        await self._uncache(location)

    async def adopt(self, folder: Path, keep: set[str]) -> int:
        """The local copies a run before cached (remembered only in its memory) are cached again as of now, so that
        tidy() removes them in time instead of never; a download cut off halfway (`.part`) goes at once."""

        def files() -> list[Path]:
            return [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []

        adopted = 0
        now = time.monotonic()
        for path in await asyncio.to_thread(files):
            if str(path) in keep:
                continue
            if path.name.endswith(".part"):
                with contextlib.suppress(FileNotFoundError):
                    await asyncio.to_thread(os.remove, path)
                continue
            location = f"{S3_LOCATION}{self.key(path.relative_to(folder).as_posix())}"
            self._cached.setdefault(location, (path, now))
            adopted += 1
        return adopted

    async def tidy(self) -> None:
        """Remove the local files cached more than `cache_for` seconds ago (the bucket holds them). Only those:
        copies kept on disk before the switch to a bucket are left alone."""
        deadline = time.monotonic() - self.cache_for
        for location in [k for k, (_, at) in self._cached.items() if at < deadline]:
            await self._uncache(location)

    async def _uncache(self, location: str) -> None:
        path, _ = self._cached.pop(location, (None, 0.0))
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(os.remove, path)


def _response_headers(headers: dict[str, str]) -> dict[str, str]:
    """What the bucket is to answer a presigned link with: the type, and (a download) the file's name."""
    asked = {"ResponseContentType": headers.get("Content-Type", "application/octet-stream")}
    if "Content-Disposition" in headers:
        asked["ResponseContentDisposition"] = headers["Content-Disposition"]
    return asked


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")
    return f"{type(exc).__name__}: {exc}"
