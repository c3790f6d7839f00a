"""Downloading each result (the mp4 and its thumbnail) into MEDIA_DIR as soon as the video completes.
No Discord here.

* http(s) links only; at most MEDIA_MAX_FILE_MB a file (a larger Content-Length is refused before any
  byte is read, and a body that runs past it is cut); time-outs on connecting and on every read;
* streamed to disk in chunks, never held whole in memory, under a temporary name (`.part`) renamed only
  when complete: a file under its final name is always whole;
* 3 tries with back-off (2, 4, 8 s: the storage FAQ's advice), then recorded as failed;
* at most `concurrency` downloads at once; what was pending when the bot stopped is started again.
A download never delays or blocks a delivery: a full disk or a dead link only leaves the API's link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any

import aiohttp

from bot.luma.models import is_http_url
from bot.store import MediaFile, MediaStore, Video

__all__ = ["Archiver", "DownloadError"]

log = logging.getLogger(__name__)

PAUSES = (2.0, 4.0, 8.0)
CHUNK = 256 * 1024
SUFFIX = {"video": ".mp4", "thumbnail": ".jpg"}


class DownloadError(Exception):
    """A download that cannot succeed as it is (the message says why); `final` ones are not retried."""

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
        concurrency: int = 2,
        pauses: tuple[float, ...] = PAUSES,
    ) -> None:
        self.session = session
        self.store = store
        self.folder = folder
        self.max_bytes = max_bytes
        self.pauses = pauses
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._active: set[tuple[str, str]] = set()

    async def keep(self, video: Video) -> None:
        """A video completed: its files are due, and their downloads start (in the background)."""
        files: dict[Any, str] = {"video": video.video_url}
        if video.thumbnail_url:
            files["thumbnail"] = video.thumbnail_url
        await self.store.due(video.video_id, files)
        for item in await self.store.of(video.video_id):
            if item.state == "pending":
                self._start(item)

    async def resume(self) -> int:
        """Start again what was pending when the bot stopped (a `.part` file is simply rewritten)."""
        pending = await self.store.pending()
        for item in pending:
            self._start(item)
        if pending:
            log.info("resuming %d downloads of results", len(pending))
        return len(pending)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def idle(self) -> None:
        """Wait until no download is under way (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _start(self, item: MediaFile) -> None:
        key = (item.video_id, item.kind)
        if key in self._active:
            return
        self._active.add(key)
        task = asyncio.create_task(self._keep(item), name=f"keep-{item.video_id}-{item.kind}")
        self._tasks.add(task)
        task.add_done_callback(lambda t: (self._tasks.discard(t), self._active.discard(key)))

    def target(self, item: MediaFile) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in item.video_id)[:80]
        return self.folder / safe[:2] / f"{safe}{SUFFIX[item.kind]}"

    async def _keep(self, item: MediaFile) -> None:
        tries = item.tries
        for attempt, pause in enumerate((*self.pauses, None)):
            tries += 1
            try:
                async with self._slots:
                    path, size = await self.download(item.source_url, self.target(item))
            except DownloadError as exc:
                final = exc.final or pause is None
                log.warning("keeping the %s of %s failed (try %d): %s", item.kind, item.video_id, attempt + 1, exc)
                if final:
                    await self._record_failure(item, tries, str(exc))
                    return
                await asyncio.sleep(pause)
                continue
            try:
                await self.store.kept(item.video_id, item.kind, str(path), size, tries)
            except Exception as exc:  # a full disk: the file is there, the row stays pending for the next start
                log.warning("kept the %s of %s but could not record it (%r)", item.kind, item.video_id, exc)
            return

    async def _record_failure(self, item: MediaFile, tries: int, error: str) -> None:
        with contextlib.suppress(Exception):
            await self.store.failed(item.video_id, item.kind, tries, error)

    async def download(self, url: str, target: Path) -> tuple[Path, int]:
        """Stream `url` into `target` (via `target.part`); return the path and its size."""
        if not is_http_url(url):
            raise DownloadError("not an http(s) link", final=True)
        partial = target.with_name(target.name + ".part")
        timeout = aiohttp.ClientTimeout(total=None, connect=15, sock_read=30)
        try:
            async with self.session.get(url, timeout=timeout) as response:
                if response.status >= 400:
                    final = 400 <= response.status < 500 and response.status != 429  # gone, or not allowed
                    raise DownloadError(f"HTTP {response.status}", final=final)
                if response.content_length is not None and response.content_length > self.max_bytes:
                    raise DownloadError(f"{response.content_length} bytes is over the limit", final=True)
                await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
                size = 0
                with open(partial, "wb") as out:  # noqa: ASYNC230 (each write is one chunk, to a local disk)
                    async for chunk in response.content.iter_chunked(CHUNK):
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise DownloadError(f"more than {self.max_bytes} bytes", final=True)
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(partial, target)
            return target, size
        except DownloadError:
            partial.unlink(missing_ok=True)
            raise
        except OSError as exc:  # a full disk, a read-only folder, a refused connection
            partial.unlink(missing_ok=True)
            raise DownloadError(f"{type(exc).__name__}: {exc}") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            partial.unlink(missing_ok=True)
            raise DownloadError(f"{type(exc).__name__}") from None
