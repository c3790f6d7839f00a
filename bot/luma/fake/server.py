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
import time
from typing import Any

import aiohttp
from aiohttp import web

from .records import REFUSED, BadRequest, error, validate
from .tasks import TaskLife

__all__ = ["FakeLuma", "serve"]


class FakeLuma(TaskLife):
    """Run with `await fake.start()`; `fake.url` is then its base URL. Everything is inspectable."""

    # --- lifecycle ------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/luma/videos", self._videos)
        app.router.add_post("/luma/tasks", self._tasks)
        app.router.add_post("/_fake/{knob}", self._control)
        app.router.add_get("/cdn/{name}", self._media)
        app.router.add_route("*", "/{tail:.*}", self._no_api)
        return app

    async def start(self) -> FakeLuma:
        self._session = aiohttp.ClientSession()
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the port it got, when asked for 0
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

    # --- handlers -------------------------------------------------------------------------------

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
            return None, error(injected.status, injected.code, injected.message, headers=headers)
        auth = request.headers.get("Authorization", "")
        if not auth:
            return None, error(400, "no_token", "token is required")
        credential = self.credentials.get(auth[7:]) if auth.startswith("Bearer ") else None
        if credential is None:
            return None, error(401, "invalid_token", "The specified token is invalid or wrong.")
        if credential.state == "expired":
            return None, error(401, "token_expired", "The specified token is expired.")
        if credential.services is not None and request.path not in credential.services:
            return None, error(401, "token_mismatched", "The specified token is not for this service.")
        if credential.state == "disabled":
            return None, error(403, "disabled", "The credential is disabled.")
        if credential.state == "used_up" and request.path == "/luma/videos":
            return None, error(
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
                return None, error(429, "too_many_requests", "too many requests", headers={"Retry-After": "1"})
            self._recent.append(now)
        if request.content_type != "application/json" or not isinstance(body, dict):
            return None, error(400, "bad_request", "body must be a JSON object")
        return body, None

    async def _no_api(self, request: web.Request) -> web.StreamResponse:
        return error(404, "no_api", f"no api for {request.method} {request.path}")

    async def _videos(self, request: web.Request) -> web.StreamResponse:
        body, refusal = await self._gate(request)
        if refusal is not None:
            return refusal
        assert body is not None
        try:
            validate(body, self.prompt_max)
        except BadRequest as exc:
            return error(400, "bad_request", str(exc))
        prompt = body.get("prompt") or ""
        blocked = any(word in prompt.lower() for word in self.blocked_words)
        answers_at_once = bool(body.get("async") or body.get("callback_url"))
        if blocked and not (answers_at_once and self.refusals_in_task):
            return error(403, "forbidden", REFUSED)
        if self.max_in_flight is not None and self.running >= self.max_in_flight:
            return error(429, "rate_limited", "Concurrency limit exceeded for this token.")
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
            return error(504, "timeout", "generation timed out")
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
                return error(400, "bad_request", "id is required")
            task = self._known(task_id, token)
            if task is None:
                return error(404, "not_found", "task not found")
            return web.json_response(task.record(self.pending_shape, hiccup=hiccup, extra=self.response_extra))
        if action == "retrieve_batch":
            ids = body.get("ids")
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not ids:
                return error(400, "bad_request", "ids must be a non-empty list of strings")
            if len(ids) > 100:
                return error(400, "bad_request", "at most 100 ids per batch")
            known = [t for t in (self._known(i, token) for i in ids) if t is not None]
            items = [t.record(self.pending_shape, hiccup=hiccup, extra=self.response_extra) for t in known]
            return web.json_response({"items": items, "count": len(items)})
        return error(400, "bad_request", "action must be retrieve or retrieve_batch")


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
