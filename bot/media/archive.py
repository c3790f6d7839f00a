"""Keeping each result (the mp4 and its thumbnail) in MEDIA_DIR as soon as the video completes, and
pruning the oldest copies to stay under MEDIA_MAX_GB. No Discord here.

* http(s) links only; at most MEDIA_MAX_FILE_MB a file (a larger Content-Length is refused before any
  byte is read, and a body that runs past it is cut); time-outs on connecting and on every read;
* streamed to disk in chunks, never held whole in memory, under a temporary name (`.part`) renamed only
  when complete: a file under its final name is always whole;
* a round is 4 tries with back-off (2, 4, 8 s between them: the storage FAQ's advice). A failure that
  cannot change (a 4xx, a file over the cap, a link that is not http(s)) ends it as `failed`; any other
  (the CDN, the network, a full disk) leaves the file pending, and a sweep every `retry_every` seconds
  starts another round, for up to `give_up_after` seconds: the link lives for weeks;
* at most `concurrency` downloads at once; what was pending when the bot stopped is started again;
* `copy(video, wait)` starts the downloads and waits at most `wait` seconds for the mp4's first try: the
  result is posted then, with the file or without it (a failing CDN's retries go on in the background).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from bot.luma.models import is_http_url
from bot.store import MediaFile, MediaStore, Video

from .destinations import MAX_REDIRECTS, REDIRECTS, Destinations, NotPublic
from .pruning import Pruner
from .shelf import S3_LOCATION, DiskShelf, Shelf, ShelfError

__all__ = ["Archiver", "DownloadError", "KeptFile", "files_of", "stream_to_file"]

log = logging.getLogger(__name__)

PAUSES = (2.0, 4.0, 8.0)
CHUNK = 256 * 1024
MIN_RATE = 32 * 1024  # bytes a second, on average, that a download must reach after RATE_GRACE seconds
RATE_GRACE = 30.0
SUFFIX = {"video": ".mp4", "thumbnail": ".jpg", "frame": ".img"}  # a frame's type is on its row (bot/store/frames)


def files_of(video: Video) -> dict[Any, str]:
    """The files of a video to keep, by kind."""
    files: dict[Any, str] = {"video": video.video_url}
    if video.thumbnail_url:
        files["thumbnail"] = video.thumbnail_url
    return files


@dataclass(frozen=True, slots=True)
class KeptFile:
    path: Path
    size: int


class DownloadError(Exception):
    """A download that did not succeed (the message says why); `final` ones cannot succeed later."""

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


class Archiver:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        store: MediaStore,
        folder: Path,
        *,
        max_bytes: int,
        max_total_bytes: int | None = None,
        concurrency: int = 4,
        pauses: tuple[float, ...] = PAUSES,
        retry_every: float = 600.0,
        give_up_after: float = 86400.0,
        shelf: Shelf | None = None,
        destinations: Destinations | None = None,
    ) -> None:
        self.session = session
        self.destinations = destinations  # where downloads may go (None: anywhere; the bot always sets it)
        self.min_rate, self.rate_grace = MIN_RATE, RATE_GRACE
        self.store = store
        self.folder = folder  # downloads land here; the shelf keeps them (on this disk, or in a bucket)
        self.shelf: Shelf = shelf or DiskShelf()
        self.max_bytes = max_bytes
        self.pauses = pauses
        self.retry_every = retry_every
        self.give_up_after = give_up_after
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: dict[tuple[str, str], asyncio.Task[KeptFile | None]] = {}
        # the outcome of each download's first try: what a waiting delivery needs (retries go on without it)
        self._first: dict[tuple[str, str], asyncio.Future[KeptFile | None]] = {}
        self.pruner = Pruner(store, self.shelf, max_total_bytes)
        # copies being shelved and recorded, by (video, kind): never cancelled halfway by a Delete
        self._finishing: dict[tuple[str, str], asyncio.Future[bool]] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._adopted = False

    async def keep(self, video: Video) -> list[MediaFile]:
        """Start the downloads of a video's pending files (recorded as due with the video; an older video
        without rows gets them now); return its files as they stood."""
        items = await self.store.of(video.video_id)
        if not items:
            async with self.store.db.transaction() as tx:
                await self.store.due(tx, video.video_id, files_of(video))
            items = await self.store.of(video.video_id)
        return self._start_pending(items)

    async def keep_files(self, owner_id: str) -> None:
        """Start the downloads of whatever of `owner_id` (a video, a frame) is still pending."""
        self._start_pending(await self.store.of(owner_id))

    def _start_pending(self, items: list[MediaFile]) -> list[MediaFile]:
        for item in items:
            if item.state == "pending":
                self._start(item)
        return items

    async def copy(self, video: Video, wait: float) -> KeptFile | None:
        """The kept mp4 of `video`, waiting at most `wait` seconds for it; None if it is not there by then
        (its download goes on, for the history)."""
        try:
            items = await self.keep(video)
        except Exception as exc:  # a full or locked database: the result goes out with the API's link
            log.warning("could not start keeping %s (%r)", video.video_id, exc)
            return None
        first = self._first.get((video.video_id, "video"))
        if first is not None:  # under way: its first try decides (a failing CDN does not hold the result back)
            with contextlib.suppress(TimeoutError):  # not wait_for: on 3.11 it can swallow a cancellation
                async with asyncio.timeout(wait):
                    return await asyncio.shield(first)
            return None
        for item in items:  # kept before (a redelivery): the file, if it is still kept
            if item.kind == "video" and item.state == "kept" and item.path and item.bytes is not None:
                path = await self.shelf.local(item.path, self.target(item))
                return KeptFile(path, item.bytes) if path is not None else None
        return None

    async def resume(self) -> int:
        """Start again what is pending (after a restart, or a round that failed for a reason that passes); at the
        first call, hand the shelf what an earlier run left in the folder (a bucket's local cache)."""
        if not self._adopted:
            self._adopted = True
            keep = {item.path for item in await self.store.kept_elsewhere(S3_LOCATION) if item.path}
            if adopted := await self.shelf.adopt(self.folder, keep):
                log.info("%d local copies of an earlier run will be tidied in time", adopted)
        pending = [item for item in await self.store.pending() if (item.video_id, item.kind) not in self._tasks]
        for item in pending:
            self._start(item)
        if pending:
            log.info("resuming %d downloads of results", len(pending))
        return len(pending)

    def start_sweeps(self) -> None:
        async def sweep() -> None:
            while True:
                await asyncio.sleep(self.retry_every)
                with contextlib.suppress(Exception):
                    await self.resume()
                with contextlib.suppress(Exception):
                    await self.shelf.tidy()

        self._sweeper = asyncio.create_task(sweep(), name="media-sweep")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        underway = [*self._tasks.values(), *self._finishing.values()]
        for task in underway:  # a copy cut off now is kept again after a restart (under the same name)
            task.cancel()
        sweeper = [self._sweeper] if self._sweeper else []
        await asyncio.gather(*underway, *sweeper, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until no download is under way, nor a copy being shelved (for tests and shutdown)."""
        while self._tasks or self._finishing:
            await asyncio.gather(*self._tasks.values(), *self._finishing.values(), return_exceptions=True)

    def _start(self, item: MediaFile) -> None:
        key = (item.video_id, item.kind)
        if key in self._tasks:
            return
        first = self._first[key] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(self._keep(item, first), name=f"keep-{item.video_id}-{item.kind}")
        self._tasks[key] = task

        def done(_: object) -> None:
            self._tasks.pop(key, None)
            self._first.pop(key, None)
            if not first.done():
                first.set_result(None)

        task.add_done_callback(done)

    @staticmethod
    def name(item: MediaFile) -> str:
        """The file's place, the same on disk (under the folder) and in a bucket (under its prefix): readable, and
        one of its own for every id (ids come from the API: "a/b" and "a_b" must not share a file, and no id may
        lead outside the folder), so the id's hash decides it and the readable part holds no dots or slashes."""
        digest = hashlib.sha256(item.video_id.encode()).hexdigest()
        safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in item.video_id)[:40]
        return f"{digest[:2]}/{safe}-{digest[:16]}{SUFFIX[item.kind]}"

    def target(self, item: MediaFile) -> Path:
        return self.folder / self.name(item)

    async def _keep(self, item: MediaFile, first: asyncio.Future[KeptFile | None]) -> KeptFile | None:
        key = (item.video_id, item.kind)
        tries = item.tries
        rounds_allowed = max(1, int(self.give_up_after // max(self.retry_every, 1.0)))
        for attempt, pause in enumerate((*self.pauses, None)):
            tries += 1
            try:
                async with self._slots:
                    path, size = await self.download(item.source_url, self.target(item))
                    # keeping and recording the whole file is not cut off halfway (an upload cancelled on its
                    # way may still land): a Delete meanwhile is caught by the record's guard instead
                    finishing = asyncio.ensure_future(self._finish(item, path, size, tries))
                    self._finishing[key] = finishing
                    finishing.add_done_callback(functools.partial(self._finished, key))
                    wanted = await asyncio.shield(finishing)
            except DownloadError as exc:
                log.warning("keeping the %s of %s failed (try %d): %s", item.kind, item.video_id, attempt + 1, exc)
                if not first.done():
                    first.set_result(None)
                if exc.final or pause is None:
                    given_up = exc.final or tries >= rounds_allowed * (len(self.pauses) + 1)
                    with contextlib.suppress(Exception):
                        await self.store.tried(item.video_id, item.kind, tries, str(exc), final=given_up)
                    return None
                await asyncio.sleep(pause)
                continue
            kept = KeptFile(path, size) if wanted else None
            if not first.done():
                first.set_result(kept)
            return kept
        return None

    def _finished(self, key: tuple[str, str], future: asyncio.Future[bool]) -> None:
        if self._finishing.get(key) is future:
            del self._finishing[key]

    async def _finish(self, item: MediaFile, path: Path, size: int, tries: int) -> bool:
        """Shelve the whole file and record it; False when its video was deleted meanwhile (the copy is then
        removed again). A shelf that fails raises DownloadError: the next try (or round) starts over."""
        try:
            location = await self.shelf.put(path, self.name(item))
        except ShelfError as exc:
            raise DownloadError(str(exc)) from None
        self.pruner.just_kept(item.video_id)
        try:
            recorded = await self.store.kept(item.video_id, item.kind, location, size, tries)
        except Exception as exc:  # a full disk: the file is there, the row stays pending for the next round
            log.warning("kept the %s of %s but could not record it (%r)", item.kind, item.video_id, exc)
            return True
        if not recorded:  # deleted while the copy was on its way: not kept after all
            with contextlib.suppress(ShelfError):
                await self.shelf.remove(location)
            return False
        log.debug("kept the %s of %s (%d bytes) at %s", item.kind, item.video_id, size, location)
        self.pruner.recorded(size)
        await self.prune()
        return True

    async def prune(self) -> int:
        """Delete the oldest copies until the kept files fit in MEDIA_MAX_GB (bot/media/pruning.py)."""
        return await self.pruner.prune()

    async def forget(self, video_id: str) -> int:
        """A result its requester (or a moderator) deleted: the bot's copy goes too; the row stays. (It is no
        longer served from the moment it is marked deleted; a copy the bucket would not delete now stays
        recorded as kept, so pruning removes it later.)"""
        removed = 0
        downloading = [task for key, task in self._tasks.items() if key[0] == video_id]
        for task in downloading:  # a download still on its way is not finished for a deleted video
            task.cancel()
        finishing = [task for key, task in self._finishing.items() if key[0] == video_id]
        await asyncio.gather(*downloading, *finishing, return_exceptions=True)  # a copy being shelved ends first
        for item in await self.store.of(video_id):
            if item.state == "kept" and item.path:
                try:
                    await self.shelf.remove(item.path)
                except ShelfError as exc:
                    log.warning("could not remove the copy of deleted %s (%s)", video_id, exc)
                    continue
                removed += 1
            if item.state != "pruned":
                await self.store.pruned(item.video_id, item.kind)
        return removed

    async def download(self, url: str, target: Path) -> tuple[Path, int]:
        """Stream `url` into `target` (via `target.part`); return the path and its size."""
        return await stream_to_file(
            self.session, url, target, self.max_bytes, self.destinations, min_rate=self.min_rate, grace=self.rate_grace
        )


async def _follow(
    session: aiohttp.ClientSession, url: str, destinations: Destinations | None, timeout: aiohttp.ClientTimeout
) -> aiohttp.ClientResponse:
    """GET `url`, following redirects by hand so that each hop is checked (bot/media/destinations.py)."""
    hop = URL(url)
    for _ in range(MAX_REDIRECTS + 1):
        refusal = destinations.refusal(hop) if destinations is not None else None
        if refusal is not None:
            raise DownloadError(f"refused: {refusal}", final=True)
        response = await session.get(hop, timeout=timeout, allow_redirects=False)
        location = response.headers.get("Location")
        if response.status not in REDIRECTS or not location:
            return response
        response.release()
        hop = hop.join(URL(location))
    raise DownloadError(f"more than {MAX_REDIRECTS} redirects", final=True)


async def _write_body(
    response: aiohttp.ClientResponse, partial: Path, max_bytes: int, min_rate: float, grace: float
) -> int:
    """The response's body into `partial`, synced to the disk; its size. Cut off over `max_bytes`, or when it comes
    slower than `min_rate` bytes a second on average after `grace` seconds."""
    size, began = 0, time.monotonic()
    # creating the file and syncing it wait on the disk: in a thread, so that the event loop (every other
    # delivery, every ack) never waits with them; each write is one chunk into the page cache
    out = await asyncio.to_thread(open, partial, "wb")
    try:
        async for chunk in response.content.iter_chunked(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise DownloadError(f"more than {max_bytes} bytes", final=True)
            elapsed = time.monotonic() - began
            if elapsed > grace and size < min_rate * elapsed:
                raise DownloadError(f"too slow ({size / elapsed / 1024:.1f} KiB/s)")
            out.write(chunk)
        out.flush()
        await asyncio.to_thread(os.fsync, out.fileno())
    finally:
        out.close()
    return size


async def stream_to_file(
    session: aiohttp.ClientSession,
    url: str,
    target: Path,
    max_bytes: int,
    destinations: Destinations | None = None,
    *,
    min_rate: float = MIN_RATE,
    grace: float = RATE_GRACE,
) -> tuple[Path, int]:
    """Stream `url` into `target` (via `target.part`, renamed when whole); return the path and its size. At most
    `max_bytes`; DownloadError says why not (`final` when trying again cannot help). With `destinations`, every hop
    must be one the bot may fetch. After `grace` seconds the bytes must have come at `min_rate` bytes a second on
    average: a source that trickles would hold a download slot for hours (one that stops is cut off by sock_read)."""
    if not is_http_url(url):
        raise DownloadError("not an http(s) link", final=True)
    partial = target.with_name(target.name + ".part")
    timeout = aiohttp.ClientTimeout(total=None, connect=15, sock_read=30)
    try:
        async with await _follow(session, url, destinations, timeout) as response:
            if response.status >= 400:
                final = 400 <= response.status < 500 and response.status != 429  # gone, or not allowed
                raise DownloadError(f"HTTP {response.status}", final=final)
            if response.content_length is not None and response.content_length > max_bytes:
                raise DownloadError(f"{response.content_length} bytes is over the limit", final=True)
            await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
            size = await _write_body(response, partial, max_bytes, min_rate, grace)
        os.replace(partial, target)
        return target, size
    except DownloadError:
        partial.unlink(missing_ok=True)
        raise
    except (OSError, aiohttp.ClientError, TimeoutError) as exc:  # a full disk, a read-only folder, the network
        partial.unlink(missing_ok=True)
        refused = getattr(exc, "os_error", None)
        if isinstance(refused, NotPublic):  # a name that leads to no public address: trying again cannot help
            raise DownloadError(f"refused: {refused}", final=True) from None
        if isinstance(exc, OSError) and not isinstance(exc, aiohttp.ClientError):
            raise DownloadError(f"{type(exc).__name__}: {exc}") from None
        raise DownloadError(f"{type(exc).__name__}") from None
    except asyncio.CancelledError:  # the bot stopping, or the video deleted: no partial file left behind
        partial.unlink(missing_ok=True)
        raise
