"""A fake AceDataCloud Luma API on aiohttp: the test double and a free dev mode (`luma-bot fake-luma`).

It follows ../shared/luma-api.md: bearer-token checks, the real API's validation of each action,
the seed's response shapes, async acknowledgements, callbacks, task retrieval, and error injection
(a failing task, an error status for the next requests, a slow answer, a dropped connection, a
callback sent twice, rate and concurrency limits).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import aiohttp
from aiohttp import web

from bot.web.serving import start_app

from .models import ASPECT_RATIOS, is_http_url

__all__ = ["FakeLuma", "FakeTask"]

log = logging.getLogger(__name__)

CDN = "https://platform.cdn.acedata.cloud/luma"
REFUSED = "the prompt was refused by content moderation"  # where scripted results say they are
MEDIA = resources.files("bot.luma").joinpath("fakemedia")  # a real 1 s mp4 and a jpg, served as results
SIZES = {
    "16:9": (1360, 752),
    "9:16": (752, 1360),
    "1:1": (1024, 1024),
    "4:3": (1168, 880),
    "3:4": (880, 1168),
    "21:9": (1552, 656),
    "9:21": (656, 1552),
}
FIELDS: dict[str, type | tuple[type, ...]] = {
    "action": str,
    "prompt": str,
    "start_image_url": str,
    "end_image_url": str,
    "video_id": str,
    "video_url": str,
    "aspect_ratio": str,
    "loop": bool,
    "enhancement": bool,
    "async": bool,
    "callback_url": str,
    "timeout": (int, float),
}


class _BadRequest(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Credential:
    """One token the fake accepts, and what AceDataCloud's gateway says of it (docs: `authentication.mdx`, "常见认证 /
    计费错误": every code below is a PlatformGateway error, answered before the service reads the body)."""

    state: str = "ok"  # ok | expired (401 token_expired) | disabled (403 disabled) | used_up (403 on billed calls)
    # the paths this credential is for: a service credential is bound to one service ("Token 不属于当前请求的服务":
    # 401 token_mismatched elsewhere); None for a global credential. Luma's Tasks API is a service of its own
    # (guides/luma/luma_tasks.mdx: apply for it separately)
    services: tuple[str, ...] | None = None


@dataclass
class FakeTask:
    task_id: str
    request: dict[str, Any]
    token: str
    created_at: float
    trace_id: str
    response: dict[str, Any] | None = None
    finished_at: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    finished_mono: float | None = None  # time.monotonic() when it ended (for benchmarks)
    created_mono: float = field(default_factory=time.monotonic)  # when the API accepted it
    reported_mono: float | None = None  # when a task look-up first reported it ended

    def record(
        self, pending_shape: str, *, hiccup: bool = False, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if self.response is not None and self.reported_mono is None:
            self.reported_mono = time.monotonic()
        data: dict[str, Any] = {
            "id": self.task_id,
            "request": self.request,
            "created_at": self.created_at,
            "trace_id": self.trace_id,
            "api_id": "luma-videos",
            "application_id": "fake-application",
            "user_id": "fake-user",
        }
        if self.response is not None:
            data["response"] = self.response
            data["finished_at"] = self.finished_at
        elif hiccup:  # still running: no state word, no finished_at, and a bare string for an error
            data["response"] = {"success": False, "task_id": self.task_id, "error": "temporary failure, retrying"}
        elif pending_shape != "absent":  # "processing", or any interim state the API may invent
            data["response"] = {"success": True, "task_id": self.task_id, "state": pending_shape, "error": None}
        if extra and "response" in data:  # fields a newer API may add (e.g. a progress percentage)
            data["response"] = {**data["response"], **extra}
        return data


@dataclass
class _Injected:
    status: int
    code: str
    message: str
    paths: tuple[str, ...]


class FakeLuma:
    """Run with `await fake.start()`; `fake.url` is then its base URL. Everything is inspectable."""

    def __init__(
        self,
        *,
        token: str = "test-token",
        delay: float = 0.2,
        host: str = "127.0.0.1",
        port: int = 0,
        auto_complete: bool = True,
        max_in_flight: int | None = 5,
    ) -> None:
        self.token = token
        self.credentials: dict[str, Credential] = {token: Credential()}
        self.delay = delay
        self.host = host
        self.port = port
        self.auto_complete = auto_complete
        self.tasks: dict[str, FakeTask] = {}
        self.videos: dict[str, dict[str, Any]] = {}  # video_id -> result (for extend)
        self.requests: list[dict[str, Any]] = []  # every request received: path, body, headers
        self.callbacks: list[dict[str, Any]] = []  # every callback sent: url, body, status
        # --- knobs for tests ---
        self.pending_shape = "absent"  # or "processing" (or any state): how a pending task's record looks
        self.ack_with_success = False  # async answers {"task_id"} or {"success": true, "task_id"}
        # With `async` or a callback the API answers with a task id at once, and a moderation refusal comes back
        # inside the task's response, not as a 403 on submit (issue #19; AceDataCloud's SDK reads it there)
        self.refusals_in_task = True
        # Whether a task's record exists at once is not documented: `/luma/tasks` may not know a task for a while
        # after it was created (retrieve: 404, retrieve_batch: absent). Seconds; 0 = at once.
        self.record_after = 0.0
        # The next look-ups answer a running task as {"success": false, "error": "…"} with no state word and no
        # finished_at: the passing hiccup AceDataCloud's SDK keeps waiting through (its _runtime/tasks.py)
        self._hiccups = 0
        self.response_extra: dict[str, Any] = {}  # fields added to every task response (a newer API's)
        self.duplicate_callbacks = False  # send every callback twice
        self.blocked_words: set[str] = {"forbidden-topic"}
        self.prompt_max = 5000  # the bot does not know the API's limit (none is published): the fake has one
        self.video_bytes: int | None = None  # serve videos of this size (a valid mp4, padded with a `free` box)
        self.media_delay = 0.0  # seconds before a result file's bytes start to flow
        self.media_fail: deque[int] = deque()  # HTTP statuses for the next result-file requests
        self.media_requests: list[str] = []
        self.media_redirects: dict[str, str] = {}  # a result file's name -> where the CDN redirects it (302)
        self.media_trickle: float | None = None  # seconds between 256-byte pieces of a result file (a CDN in trouble)
        self.rate_limit_per_second: float | None = None
        # like the real API (its older concurrency FAQ: 5 Luma tasks in flight per token), a task counts
        # from its acceptance to its completion or failure; one more is answered 429
        self.max_in_flight = max_in_flight
        self.in_flight_peak = 0
        self._errors: deque[_Injected] = deque()
        self._raw: deque[tuple[str, int, bytes, str]] = deque()  # path, status, body, content type
        self._slow: deque[float] = deque()
        self._drops: deque[str] = deque()
        self._held_answers: deque[float] = deque()
        self._task_failures: deque[tuple[str, str]] = deque()
        self._scripted: deque[dict[str, Any]] = deque()
        self._recent: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._timers: list[asyncio.TimerHandle] = []

    # --- lifecycle ------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/luma/videos", self._videos)
        app.router.add_post("/luma/tasks", self._tasks)
        app.router.add_post("/_fake/{knob}", self._control)
        app.router.add_get("/cdn/{name}", self._media)
        app.router.add_route("*", "/{tail:.*}", self._no_api)
        return app

    async def _control(self, request: web.Request) -> web.Response:
        """Failure knobs over HTTP, for trying the bot by hand (`luma-bot fake-luma`), e.g.
        `curl -X POST localhost:8787/_fake/fail-next-task -d '{"message": "no"}'`."""
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError:
            body = {}
        knob = request.match_info["knob"]
        if knob == "fail-next-task":
            self.fail_next_task(body.get("message", "Luma failed to generate the video"), body.get("code", "api_error"))
        elif knob == "fail-next":
            self.fail_next(
                int(body.get("status", 500)),
                body.get("code", "api_error"),
                body.get("message", "injected"),
                times=int(body.get("times", 1)),
            )
        elif knob == "slow-next":
            self.slow_next(float(body.get("seconds", 5)), times=int(body.get("times", 1)))
        elif knob == "duplicate-callbacks":
            self.duplicate_callbacks = bool(body.get("on", True))
        elif knob == "delay":
            self.delay = float(body.get("seconds", self.delay))
        else:
            return web.json_response({"error": f"unknown knob {knob}"}, status=404)
        return web.json_response({"ok": True, "knob": knob})

    async def start(self) -> FakeLuma:
        self._session = aiohttp.ClientSession()
        self._runner, self.port = await start_app(self.app(), self.host, self.port)
        return self

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> FakeLuma:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- knobs ----------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        code: str,
        message: str = "injected failure",
        *,
        times: int = 1,
        paths: tuple[str, ...] = ("/luma/videos", "/luma/tasks"),
    ) -> None:
        """Answer the next `times` requests (to `paths`) with this error status and code."""
        for _ in range(times):
            self._errors.append(_Injected(status, code, message, paths))

    def answer_next(
        self, status: int, body: Any, *, path: str = "/luma/videos", content_type: str = "application/json"
    ) -> None:
        """Answer the next request to `path` with exactly this (a dict is sent as JSON, bytes or text as
        they are): a 200 with `success: false`, an nginx error page, an answer of 200 MiB…"""
        if isinstance(body, dict):
            raw = json.dumps(body).encode()
        else:
            raw = body if isinstance(body, bytes) else str(body).encode()
        self._raw.append((path, status, raw, content_type))

    def slow_next(self, seconds: float, *, times: int = 1) -> None:
        """Hold the next requests' answers for `seconds` (the work itself is still done)."""
        self._slow.extend([seconds] * times)

    def hold_answer_next(self, seconds: float) -> None:
        """Create the next video's task at once but answer the submission `seconds` later (so the task
        can end, and its callback arrive, before the submitter knows the task id)."""
        self._held_answers.append(seconds)

    def drop_next(self, path: str = "/luma/videos") -> None:
        """Do the next request's work (a task is created) but cut the connection instead of answering."""
        self._drops.append(path)

    def add_token(self, token: str, state: str = "ok", services: tuple[str, ...] | None = None) -> None:
        """Accept another token, as a credential in this `state` bound to these `services` (paths)."""
        self.credentials[token] = Credential(state, services)

    def hiccup_next(self, times: int = 1) -> None:
        """The next `times` task look-ups report running tasks as `success: false` with a bare string error."""
        self._hiccups += times

    def fail_next_task(self, message: str = "Luma failed to generate the video", code: str = "api_error") -> None:
        """The next task created will end failed."""
        self._task_failures.append((code, message))

    def script_next_result(self, body: dict[str, Any]) -> None:
        """The next task created takes this result (e.g. a seed fixture), task id included."""
        self._scripted.append(dict(body))

    @property
    def running(self) -> int:
        """Tasks in flight: accepted and not yet completed or failed."""
        return sum(1 for t in self.tasks.values() if t.response is None)

    def videos_requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"] == "/luma/videos"]

    def add_pending_task(self, task_id: str, body: dict[str, Any]) -> FakeTask:
        """A task that exists without a request (e.g. one a bot submitted before a benchmark started)."""
        task = FakeTask(task_id, dict(body), self.token, time.time(), str(uuid.uuid4()))
        self.tasks[task_id] = task
        return task

    def finish(self, task_id: str) -> None:
        """Complete a task now (for tests that run with auto_complete=False)."""
        self._complete(self.tasks[task_id])

    async def wait_done(self, task_id: str, timeout: float = 10.0) -> FakeTask:
        task = self.tasks[task_id]
        async with asyncio.timeout(timeout):
            await task.done.wait()
        return task

    # --- handlers -------------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, code: str, message: str, **extra: Any) -> web.Response:
        body = {"success": False, "error": {"code": code, "message": message}, "trace_id": str(uuid.uuid4())}
        return web.json_response(body, status=status, headers=extra.get("headers"))

    async def _gate(self, request: web.Request) -> tuple[dict[str, Any] | None, web.StreamResponse | None]:
        """Auth, injected failures, JSON parsing: what every route does first."""
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.requests.append({"path": request.path, "body": body, "headers": dict(request.headers)})
        if self._slow:
            await asyncio.sleep(self._slow.popleft())
        if self._raw and self._raw[0][0] == request.path:
            _, status, raw, content_type = self._raw.popleft()
            return None, web.Response(body=raw, status=status, headers={"Content-Type": content_type})
        if self._errors and request.path in self._errors[0].paths:
            injected = self._errors.popleft()
            headers = {"Retry-After": "0"} if injected.status == 429 else None
            return None, self._error(injected.status, injected.code, injected.message, headers=headers)
        auth = request.headers.get("Authorization", "")
        if not auth:
            return None, self._error(400, "no_token", "token is required")
        credential = self.credentials.get(auth[7:]) if auth.startswith("Bearer ") else None
        if credential is None:
            return None, self._error(401, "invalid_token", "The specified token is invalid or wrong.")
        if credential.state == "expired":
            return None, self._error(401, "token_expired", "The specified token is expired.")
        if credential.services is not None and request.path not in credential.services:
            return None, self._error(401, "token_mismatched", "The specified token is not for this service.")
        if credential.state == "disabled":
            return None, self._error(403, "disabled", "The credential is disabled.")
        if credential.state == "used_up" and request.path == "/luma/videos":
            return None, self._error(
                403,
                "used_up",
                "Your balance is not sufficient for current request, please buy more in Ace Data Cloud "
                "https://platform.acedata.cloud",
            )
        if self.rate_limit_per_second is not None:
            now = time.monotonic()
            while self._recent and now - self._recent[0] > 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.rate_limit_per_second:
                return None, self._error(429, "too_many_requests", "too many requests", headers={"Retry-After": "1"})
            self._recent.append(now)
        if request.content_type != "application/json" or not isinstance(body, dict):
            return None, self._error(400, "bad_request", "body must be a JSON object")
        return body, None

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

    async def _no_api(self, request: web.Request) -> web.StreamResponse:
        return self._error(404, "no_api", f"no api for {request.method} {request.path}")

    def _validate(self, body: dict[str, Any]) -> None:
        for key, value in body.items():
            expected = FIELDS.get(key)
            if expected is None:
                raise _BadRequest(f"unknown field {key!r}")
            if (expected is not bool and isinstance(value, bool)) or not isinstance(value, expected):
                raise _BadRequest(f"{key} has the wrong type")
        action = body.get("action", "generate")
        if action not in ("generate", "extend"):
            raise _BadRequest("action must be generate or extend")
        prompt = body.get("prompt")
        if action == "generate" and not prompt:
            raise _BadRequest("prompt is required")
        if prompt is not None and len(prompt) > self.prompt_max:  # a stand-in: the real limit is unpublished
            raise _BadRequest(f"prompt must be at most {self.prompt_max} characters")
        if "aspect_ratio" in body and body["aspect_ratio"] not in ASPECT_RATIOS:
            raise _BadRequest("aspect_ratio is invalid")
        for key in ("start_image_url", "end_image_url", "video_url", "callback_url"):
            if key in body and not is_http_url(body[key]):
                raise _BadRequest(f"{key} must be an http(s) URL")
        if action == "extend":
            if not body.get("video_id") and not body.get("video_url"):
                raise _BadRequest("video_id or video_url is required to extend")
            if "start_image_url" in body:
                raise _BadRequest("start_image_url is not allowed when extending")
        if body.get("loop") and body.get("end_image_url"):
            raise _BadRequest("loop cannot be used with end_image_url")
        if "timeout" in body and body["timeout"] <= 0:
            raise _BadRequest("timeout must be positive")

    async def _videos(self, request: web.Request) -> web.StreamResponse:
        body, refusal = await self._gate(request)
        if refusal is not None:
            return refusal
        assert body is not None
        try:
            self._validate(body)
        except _BadRequest as exc:
            return self._error(400, "bad_request", str(exc))
        prompt = body.get("prompt") or ""
        blocked = any(word in prompt.lower() for word in self.blocked_words)
        answers_at_once = bool(body.get("async") or body.get("callback_url"))
        if blocked and not (answers_at_once and self.refusals_in_task):
            return self._error(403, "forbidden", REFUSED)
        if self.max_in_flight is not None and self.running >= self.max_in_flight:
            return self._error(429, "rate_limited", "Concurrency limit exceeded for this token.")
        if blocked:  # accepted at once; the refusal comes back inside the task, moments later (a held task too)
            self._task_failures.appendleft(("forbidden", REFUSED))
        task = self._create(body, request.headers["Authorization"][7:])
        if blocked and not self.auto_complete:
            self._timers.append(asyncio.get_running_loop().call_later(min(self.delay, 0.1), self._complete, task))
        self.in_flight_peak = max(self.in_flight_peak, self.running)
        if self._drops and self._drops[0] == request.path:
            self._drops.popleft()
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        if self._held_answers:
            await asyncio.sleep(self._held_answers.popleft())
        if body.get("async") or body.get("callback_url"):
            ack: dict[str, Any] = {"task_id": task.task_id}
            if self.ack_with_success:
                ack = {"success": True, **ack}
            return web.json_response(ack)
        timeout = float(body.get("timeout", 300))
        try:
            async with asyncio.timeout(timeout):
                await task.done.wait()
        except TimeoutError:
            return self._error(504, "timeout", "generation timed out")
        assert task.response is not None
        status = 200 if task.response.get("success") is not False else 500
        return web.json_response(task.response, status=status)

    async def _tasks(self, request: web.Request) -> web.StreamResponse:
        body, refusal = await self._gate(request)
        if refusal is not None:
            return refusal
        assert body is not None
        action = body.get("action")
        token = request.headers["Authorization"][7:]
        hiccup = self._hiccups > 0
        self._hiccups = max(0, self._hiccups - 1)
        if action == "retrieve":
            task_id = body.get("id")
            if not isinstance(task_id, str) or not task_id:
                return self._error(400, "bad_request", "id is required")
            task = self._known(task_id, token)
            if task is None:
                return self._error(404, "not_found", "task not found")
            return web.json_response(task.record(self.pending_shape, hiccup=hiccup, extra=self.response_extra))
        if action == "retrieve_batch":
            ids = body.get("ids")
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not ids:
                return self._error(400, "bad_request", "ids must be a non-empty list of strings")
            if len(ids) > 100:
                return self._error(400, "bad_request", "at most 100 ids per batch")
            known = [t for t in (self._known(i, token) for i in ids) if t is not None]
            items = [t.record(self.pending_shape, hiccup=hiccup, extra=self.response_extra) for t in known]
            return web.json_response({"items": items, "count": len(items)})
        return self._error(400, "bad_request", "action must be retrieve or retrieve_batch")

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


async def serve(
    host: str, port: int, token: str, delay: float, max_in_flight: int | None = 5, video_bytes: int | None = None
) -> None:
    """Run the fake until cancelled (the `luma-bot fake-luma` command)."""
    fake = FakeLuma(token=token, delay=delay, host=host, port=port, max_in_flight=max_in_flight)
    fake.video_bytes = video_bytes
    await fake.start()
    print(f"fake Luma API on {fake.url} (token accepted: {'*' * min(len(token), 8)}, tasks finish after {delay}s)")
    print(f"point the bot at it: ACEDATACLOUD_API_BASE_URL={fake.url}")
    try:
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await fake.stop()
