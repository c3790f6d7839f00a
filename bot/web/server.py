"""The bot's own web server: the API's callbacks, /healthz and /metrics. No Discord here.

It may face the internet, so: connections are capped and slow requests dropped (bot/web/serving.py),
every malformed request gets a 4xx and one short log line, /metrics answers loopback only unless a
setting opens it or a bearer token guards it, and /healthz tells the truth about the gateway and the
database so that a container's HEALTHCHECK can fail.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from bot.jobs.service import JobService
from bot.luma import LumaError, TaskRecord
from bot.media import MediaRoute
from bot.web.callbacks import CallbackSigner
from bot.web.metrics import CONTENT_TYPE, Metrics
from bot.web.serving import ConnectionGuard, start_app

__all__ = ["WebServer"]

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 64 * 1024


def _is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


class Pages(Protocol):
    """Pages served beside the rest (the gallery: bot/gallery/pages.py)."""

    def add_to(self, app: web.Application) -> None: ...


class WebServer:
    def __init__(
        self,
        jobs: JobService,
        signer: CallbackSigner,
        *,
        host: str,
        port: int,
        health: Callable[[], Awaitable[str | None]] | None = None,
        metrics: Metrics | None = None,
        metrics_public: bool = False,
        metrics_token: str | None = None,
        guard: ConnectionGuard | None = None,
        media: MediaRoute | None = None,
        gallery: Pages | None = None,
    ) -> None:
        self.jobs = jobs
        self.signer = signer
        self.host = host
        self.port = port
        self.health = health
        self.metrics = metrics or Metrics()
        self.metrics_public = metrics_public
        self.metrics_token = metrics_token
        self.guard = guard or ConnectionGuard()
        self.media = media  # the kept copies, served when PUBLIC_BASE_URL is set
        self.gallery = gallery  # the web gallery's pages (also needs PUBLIC_BASE_URL)
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_CALLBACK_BYTES, middlewares=[self.guard.middleware, self._errors])
        app.router.add_post("/luma/callback/{job_id}/{signature}", self.callback)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics_page)
        if self.media is not None:
            self.media.add_to(app)
        if self.gallery is not None:
            self.gallery.add_to(app)
        return app

    async def start(self) -> None:
        self._runner, self.port = await start_app(self.app(), self.host, self.port, guard=self.guard)
        log.info(
            "web server listening on %s:%d (at most %d connections)", self.host, self.port, self.guard.max_connections
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """A bug in a handler is one short log line and a 500, never a traceback per request."""
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as exc:
            self.jobs.stats["web_error"] += 1
            # the route, not the path: a path may carry a credential (a callback's signature, a gallery pass)
            resource = request.match_info.route.resource
            where = resource.canonical if resource is not None else "?"
            log.warning("%s %s failed: %s", request.method, where, type(exc).__name__)
            return web.json_response({"error": "internal error"}, status=500)

    @staticmethod
    def _refuse(status: int, text: str, event: str | None = None, jobs: JobService | None = None) -> web.Response:
        if event and jobs is not None:
            jobs.stats[event] += 1
        return web.json_response({"error": text}, status=status)

    async def callback(self, request: web.Request) -> web.Response:
        """One task's outcome. The path is the credential; the body is untrusted and checked."""
        job_id = request.match_info["job_id"]
        if not self.signer.verify(job_id, request.match_info["signature"]):
            log.info("refused a callback with a bad signature from %s", request.remote)
            return self._refuse(403, "bad signature", "callback_forged", self.jobs)
        try:
            async with asyncio.timeout(self.guard.request_deadline):  # not wait_for: it can swallow a cancel
                raw = await request.read()
        except TimeoutError:
            return self._refuse(408, "the body did not arrive in time", "callback_malformed", self.jobs)
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, "body too large", "callback_malformed", self.jobs)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            log.info("refused a callback for job %s: the body is not JSON", job_id)
            return self._refuse(400, "body must be JSON", "callback_malformed", self.jobs)
        if not isinstance(body, dict):
            return self._refuse(400, "body must be a JSON object", "callback_malformed", self.jobs)
        job = await self.jobs.jobs.get(job_id)
        if job is None:
            return self._refuse(404, "unknown job")
        task_id = body.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            return self._refuse(400, "task_id is missing", "callback_malformed", self.jobs)
        if job.task_id is not None and task_id != job.task_id:
            return self._refuse(409, "task_id does not match this job", "callback_mismatch", self.jobs)
        self.jobs.stats["callbacks"] += 1
        try:
            record = TaskRecord.from_outcome(task_id, body, finished=True)  # a callback comes once the task ends
        except LumaError as exc:
            log.warning("unreadable callback for job %s: %s", job_id, exc.detail)
            return self._refuse(400, "unreadable result", "callback_malformed", self.jobs)
        applied = await self.jobs.apply(job_id, record, from_callback=True)
        return web.json_response({"ok": True, "applied": applied})

    async def healthz(self, request: web.Request) -> web.Response:
        problem = await self.health() if self.health is not None else None
        body = {"ready": problem is None, "jobs_in_flight": self.jobs.in_flight}
        if self.jobs.line.waiting:
            body["jobs_waiting"] = len(self.jobs.line.waiting)
        if problem is not None:
            body["problem"] = problem
        return web.json_response(body, status=200 if problem is None else 503)

    def _may_read_metrics(self, request: web.Request) -> bool:
        if self.metrics_token:
            given = request.headers.get("Authorization", "")
            return hmac.compare_digest(given.encode(), f"Bearer {self.metrics_token}".encode())
        return self.metrics_public or _is_loopback(request.remote)

    async def metrics_page(self, request: web.Request) -> web.Response:
        if not self._may_read_metrics(request):
            return self._refuse(403, "metrics are served to loopback only (see METRICS_PUBLIC / METRICS_TOKEN)")
        return web.Response(body=self.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})
