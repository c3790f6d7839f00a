"""How the fake Luma API's tasks live: created, completed or failed after a delay, their results, their callbacks,
and the CDN that serves the result files (real bytes)."""

from __future__ import annotations

import asyncio
import logging
import struct
import time
import uuid
from typing import Any

import aiohttp
from aiohttp import web

from .knobs import Knobs
from .records import MEDIA, SIZES, FakeTask

log = logging.getLogger("bot.luma.fake")


class TaskLife(Knobs):
    """Tasks from creation to their end, and the result files they point to."""

    url: str

    # --- tasks ----------------------------------------------------------------------------------

    def _known(self, task_id: str, token: str) -> FakeTask | None:
        """The task as `/luma/tasks` knows it: this token's, and once its record exists (`record_after`)."""
        task = self.tasks.get(task_id)
        if task is None or task.token != token or time.monotonic() - task.created_mono < self.record_after:
            return None
        return task

    def _create(self, body: dict[str, Any], token: str) -> FakeTask:
        scripted = self._scripted.popleft() if self._scripted else None
        task_id = scripted["task_id"] if scripted else str(uuid.uuid4())
        task = FakeTask(task_id, dict(body), token, time.time(), str(uuid.uuid4()))
        if scripted is not None:
            task.request["_scripted"] = scripted
        if self._task_failures:
            task.request["_fails"] = self._task_failures.popleft()
        self.tasks[task_id] = task
        if self.auto_complete:
            self._timers.append(asyncio.get_running_loop().call_later(self.delay, self._complete, task))
        return task

    def _result(self, task: FakeTask) -> dict[str, Any]:
        scripted = task.request.get("_scripted")
        if scripted is not None:
            return dict(scripted)
        body = task.request
        width, height = SIZES[body.get("aspect_ratio", "16:9")]
        parent = self.videos.get(body.get("video_id", ""))
        if parent is not None:
            width, height = parent["video_width"], parent["video_height"]
        return {
            "success": True,
            "task_id": task.task_id,
            "video_id": str(uuid.uuid4()),
            "prompt": body.get("prompt", ""),
            "video_url": f"{self.url}/cdn/{task.task_id}.mp4",
            "video_width": width,
            "video_height": height,
            "state": "completed",
            "thumbnail_url": f"{self.url}/cdn/{task.task_id}.jpg",
            "thumbnail_width": width,
            "thumbnail_height": height,
        }

    def _complete(self, task: FakeTask) -> None:
        if task.response is not None:
            return
        failure = task.request.get("_fails")
        video_id = task.request.get("video_id")
        if failure is None and video_id and video_id not in self.videos:
            failure = ("bad_request", f"video {video_id} was not found")
        if failure is not None:
            code, message = failure
            task.response = {
                "success": False,
                "task_id": task.task_id,
                "trace_id": task.trace_id,
                "error": {"code": code, "message": message},
            }
        else:
            task.response = self._result(task)
            if task.response.get("video_id"):
                self.videos[task.response["video_id"]] = task.response
        task.finished_at = time.time()
        task.finished_mono = time.monotonic()
        task.done.set()
        callback = task.request.get("callback_url")
        if callback:
            times = 2 if self.duplicate_callbacks else 1
            job = asyncio.ensure_future(self._send_callback(callback, task.response, times))
            self._background.add(job)
            job.add_done_callback(self._background.discard)

    async def _send_callback(self, url: str, body: dict[str, Any], times: int) -> None:
        assert self._session is not None
        for _ in range(times):
            entry: dict[str, Any] = {"url": url, "body": body, "status": None, "sent_at": time.time()}
            self.callbacks.append(entry)
            try:
                async with self._session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=30)) as r:
                    entry["status"] = r.status
                    await r.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                entry["status"] = f"error: {type(exc).__name__}"
                log.info("callback to %s failed: %s", url, exc)

    # --- the CDN ------------------------------------------------------------------------------------

    async def _media(self, request: web.Request) -> web.StreamResponse:
        """The result files, as a CDN serves them: real bytes, streamed, with Content-Length."""
        name = request.match_info["name"]
        self.media_requests.append(name)
        if self.media_fail:
            return web.Response(status=self.media_fail.popleft(), text="CDN error")
        if name in self.media_redirects:
            return web.Response(status=302, headers={"Location": self.media_redirects[name]})
        if self.media_delay:
            await asyncio.sleep(self.media_delay)
        suffix = name.rsplit(".", 1)[-1]
        if suffix not in ("mp4", "jpg"):
            return web.Response(status=404)
        data = MEDIA.joinpath(f"sample.{suffix}").read_bytes()
        size = self.video_bytes if suffix == "mp4" and self.video_bytes else len(data)
        response = web.StreamResponse(
            headers={"Content-Type": "video/mp4" if suffix == "mp4" else "image/jpeg", "Content-Length": str(size)}
        )
        await response.prepare(request)
        try:
            if self.media_trickle is not None:  # (of the sample's own bytes: set no video_bytes with it)
                for start in range(0, len(data), 256):
                    await response.write(data[start : start + 256])
                    await asyncio.sleep(self.media_trickle)
                await response.write_eof()
                return response
            await response.write(data)
            padding = size - len(data)
            if padding > 0:  # an mp4 `free` box: the file stays a valid mp4 of that size
                await response.write(struct.pack(">I4s", padding, b"free"))
                left, chunk = padding - 8, b"\0" * 65536
                while left > 0:
                    await response.write(chunk[: min(left, len(chunk))])
                    left -= len(chunk)
            await response.write_eof()
        except ConnectionError:
            pass  # the client went away (a download cut short): as a CDN, nothing to do
        return response
