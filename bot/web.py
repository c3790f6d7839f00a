"""The bot's own web server: the API's callbacks, /healthz and /metrics. No Discord here."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from aiohttp import web

from bot.callbacks import CallbackSigner
from bot.jobs import JobService
from bot.luma import LumaError, TaskRecord
from bot.serving import start_app

__all__ = ["WebServer"]

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 64 * 1024


class WebServer:
    def __init__(
        self,
        jobs: JobService,
        signer: CallbackSigner,
        *,
        host: str,
        port: int,
        ready: Callable[[], bool] = lambda: True,
    ) -> None:
        self.jobs = jobs
        self.signer = signer
        self.host = host
        self.port = port
        self.ready = ready
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_CALLBACK_BYTES)
        app.router.add_post("/luma/callback/{job_id}/{signature}", self.callback)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        return app

    async def start(self) -> None:
        self._runner, self.port = await start_app(self.app(), self.host, self.port)
        log.info("web server listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def callback(self, request: web.Request) -> web.Response:
        """One task's outcome. The path is the credential; the body is untrusted and checked."""
        job_id = request.match_info["job_id"]
        if not self.signer.verify(job_id, request.match_info["signature"]):
            self.jobs.stats["callback_forged"] += 1
            return web.json_response({"error": "bad signature"}, status=403)
        job = await self.jobs.jobs.get(job_id)
        if job is None:
            return web.json_response({"error": "unknown job"}, status=404)
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.json_response({"error": "body must be JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "body must be a JSON object"}, status=400)
        task_id = body.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            return web.json_response({"error": "task_id is missing"}, status=400)
        if job.task_id is not None and task_id != job.task_id:
            self.jobs.stats["callback_mismatch"] += 1
            return web.json_response({"error": "task_id does not match this job"}, status=409)
        self.jobs.stats["callbacks"] += 1
        try:
            record = TaskRecord.from_outcome(task_id, body)
        except LumaError as exc:
            log.warning("unreadable callback for job %s: %s", job_id, exc.detail)
            return web.json_response({"error": "unreadable result"}, status=400)
        applied = await self.jobs.apply(job_id, record, from_callback=True)
        return web.json_response({"ok": True, "applied": applied})

    async def healthz(self, request: web.Request) -> web.Response:
        ready = self.ready()
        body = {"ready": ready, "jobs_in_flight": self.jobs.in_flight}
        return web.json_response(body, status=200)

    async def metrics(self, request: web.Request) -> web.Response:
        lines = [
            "# TYPE luma_bot_jobs_in_flight gauge",
            f"luma_bot_jobs_in_flight {self.jobs.in_flight}",
            "# TYPE luma_bot_events_total counter",
        ]
        for name, value in sorted(self.jobs.stats.items()):
            lines.append(f'luma_bot_events_total{{event="{name}"}} {value}')
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")
