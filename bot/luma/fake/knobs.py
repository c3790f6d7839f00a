"""The fake Luma API's state and its knobs: what a test (or an owner trying the bot by hand, over `/_fake/…`)
sets to make the next answers fail, slow down, repeat or arrive late."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from typing import Any

import aiohttp
from aiohttp import web

from .records import Credential, FakeTask, Injected


class Knobs:
    """Everything is inspectable: the tasks, every request received and every callback sent."""

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
        # like the real API (its older concurrency FAQ: 5 Luma tasks in flight per token), a task counts from its
        # acceptance to its completion or failure; one more is answered 429 (`max_in_flight`)
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
        self.max_in_flight = max_in_flight
        self.in_flight_peak = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._timers: list[asyncio.TimerHandle] = []
        self._answers_as_the_api_does()
        self._nothing_injected()

    def _answers_as_the_api_does(self) -> None:
        """The knobs that shape every answer, at the real API's (documented or likeliest) behaviour."""
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

    def _nothing_injected(self) -> None:
        """The queues of one-off failures a test injects (each used once, in order)."""
        self._errors: deque[Injected] = deque()
        self._raw: deque[tuple[str, int, bytes, str]] = deque()  # path, status, body, content type
        self._slow: deque[float] = deque()
        self._drops: deque[str] = deque()
        self._held_answers: deque[float] = deque()
        self._task_failures: deque[tuple[str, str]] = deque()
        self._scripted: deque[dict[str, Any]] = deque()
        self._recent: deque[float] = deque()

    # --- knobs over HTTP ---------------------------------------------------------------------------

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
            self._errors.append(Injected(status, code, message, paths))

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
