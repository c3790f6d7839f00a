"""`luma-bot try "prompt"`: one real video end to end from the terminal, before any member sees the bot.

It spends one credit, so it asks first (`--yes` for scripts); then submits, waits with a progress bar, downloads the
video, and says where the file is and how long each step took. With `--record FILE` it writes the whole exchange
with the API as JSON (no token in it) and says which answers differ from what the bot expects (bot/luma/shapes.py):
an owner sees in a minute whether today's API is the one the bot was built for, and can attach the file to a bug
report.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bot.config import Settings
from bot.errors import InputError
from bot.i18n import _, duration, size
from bot.luma import Exchange, LumaClient, LumaError, TaskRecord, VideoRequest, VideoResult
from bot.luma.shapes import Finding, findings
from bot.media.archive import DownloadError, stream_to_file

from .access import problem_of
from .terminal import Terminal

__all__ = ["trial"]

TYPICAL_RENDER = 120.0  # seconds: how full the bar is meanwhile (Luma takes 1 to 2 minutes, sometimes 5)
MAX_VIDEO_BYTES = 500 * 1024 * 1024


async def trial(
    settings: Settings,
    prompt: str,
    *,
    yes: bool = False,
    record: Path | None = None,
    out_dir: Path = Path("."),
    aspect_ratio: str | None = None,
    terminal: Terminal | None = None,
) -> int:
    term = terminal or Terminal()
    assert settings.api_token is not None
    try:
        request = VideoRequest.generate(prompt, aspect_ratio=aspect_ratio or settings.default_aspect_ratio)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not yes:
        if not term.interactive():
            print(_("luma-bot try spends one credit: run it in a terminal to confirm, or add --yes."), file=sys.stderr)
            return 2
        term.say(_("⚠ This makes one real video with your AceDataCloud token ({api}): it spends one credit.").format(
            api=settings.api_base
        ))  # fmt: skip
        if not term.yes(_("Make it?")):
            term.say(_("Nothing was sent."))
            return 1
    exchanges: list[Exchange] = []
    run = _Run(settings, term, exchanges)
    try:
        code = await run.make(request, out_dir)
    finally:
        if record is not None:
            _write_record(record, settings, prompt, exchanges)
            term.say(_("The exchange with the API is in {path} (no token in it).").format(path=record))
    _report(term, exchanges)
    return code


class _Run:
    def __init__(self, settings: Settings, term: Terminal, exchanges: list[Exchange]) -> None:
        self.settings, self.term, self.exchanges = settings, term, exchanges

    async def make(self, request: VideoRequest, out_dir: Path) -> int:
        settings, term = self.settings, self.term
        assert settings.api_token is not None
        async with aiohttp.ClientSession() as session:
            client = LumaClient(session, settings.api_base, settings.api_token)
            client.observer = self.exchanges.append
            started = time.monotonic()
            try:
                submission = await client.submit(request)
            except LumaError as exc:
                term.say(_("✗ The API refused the request: {why}").format(why=problem_of(exc)))
                return 1
            submitted = time.monotonic()
            term.say(_("✓ Submitted (task {task}) in {seconds}.").format(
                task=submission.task_id, seconds=_seconds(submitted - started)
            ))  # fmt: skip
            result = submission.result or await self._wait(client, submission.task_id, submitted)
            if result is None:
                return 1
            rendered = time.monotonic()
            target = out_dir / f"luma-try-{submission.task_id[:12]}.mp4"
            try:
                path, length = await stream_to_file(session, result.video_url, target, MAX_VIDEO_BYTES)
            except DownloadError as exc:
                term.say(_("✗ The video is made ({url}) but could not be downloaded: {why}").format(
                    url=result.video_url, why=exc
                ))  # fmt: skip
                return 1
            done = time.monotonic()
        term.say(_("✓ Saved {path} ({size}).").format(path=path, size=size(length)))
        term.say(_("Submitting {submit} · rendering {render} · downloading {download} · in all {total}.").format(
            submit=_seconds(submitted - started), render=_seconds(rendered - submitted),
            download=_seconds(done - rendered), total=_seconds(done - started),
        ))  # fmt: skip
        return 0

    async def _wait(self, client: LumaClient, task_id: str, since: float) -> VideoResult | None:
        """Look at the task as the bot does (first after POLL_FIRST_DELAY, then every POLL_INTERVAL) until it ends,
        showing the time it takes; None (said why) when it failed or JOB_TIMEOUT passed."""
        settings, term = self.settings, self.term
        ticker = asyncio.create_task(self._tick(since))
        try:
            await asyncio.sleep(settings.poll_first_delay)
            while True:
                try:
                    record: TaskRecord = await client.retrieve(task_id)
                except LumaError as exc:
                    record = TaskRecord(task_id, "pending")  # not listed yet, or a passing failure: look again
                    if exc.kind not in ("not_found", "network", "server", "timeout", "rate_limited"):
                        term.end_bar()
                        term.say(_("✗ The task could not be read: {why}").format(why=problem_of(exc)))
                        return None
                if record.state == "completed" and record.result is not None:
                    term.end_bar()
                    term.say(_("✓ Rendered in {seconds}.").format(seconds=_seconds(time.monotonic() - since)))
                    return record.result
                if record.state == "failed":
                    term.end_bar()
                    error = record.error
                    reason = (error.api_message or error.detail) if error is not None else ""
                    term.say(_("✗ Luma could not make this video: {why}").format(why=reason))
                    return None
                if time.monotonic() - since > settings.job_timeout:
                    term.end_bar()
                    term.say(_("✗ No result within {limit} (JOB_TIMEOUT).").format(
                        limit=duration(settings.job_timeout)
                    ))  # fmt: skip
                    return None
                await asyncio.sleep(settings.poll_interval)
        finally:
            ticker.cancel()

    async def _tick(self, since: float) -> None:
        while True:
            elapsed = time.monotonic() - since
            label = _("rendering · {elapsed}").format(elapsed=_clock(elapsed))
            self.term.bar(min(0.95, elapsed / TYPICAL_RENDER), label)
            await asyncio.sleep(1.0)


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else _clock(value)


def _clock(value: float) -> str:
    minutes, seconds = divmod(int(value), 60)
    return f"{minutes}:{seconds:02d}"


def _all_findings(exchanges: list[Exchange]) -> list[Finding]:
    found: list[Finding] = []
    for exchange in exchanges:
        for finding in findings(exchange.path, exchange.status, exchange.answer):
            if finding not in found:
                found.append(finding)
    return found


def _report(term: Terminal, exchanges: list[Exchange]) -> None:
    found = _all_findings(exchanges)
    if not exchanges:
        return
    if not found:
        term.say(_("The API answered as the bot expects."))
        return
    term.say(_("The API answered differently from what the bot expects (it reads tolerantly; worth a bug report):"))
    for finding in found:
        term.say(f"  - {finding.where}: {finding.what} ({finding.detail})")  # i18n: not text (a bug report's finding)


def _write_record(path: Path, settings: Settings, prompt: str, exchanges: list[Exchange]) -> None:
    """The exchange as JSON, for a bug report: requests and answers, never a header (so never a token); the token
    is also taken out of any text, in case an answer repeated it."""
    assert settings.api_token is not None
    token = settings.api_token.get()

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(token, "[token]") if token else value
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    document = {
        "luma_bot": "try --record",
        "api": settings.api_base,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "prompt": prompt,
        "exchanges": [
            {
                "request": {"path": e.path, "body": scrub(e.body)},
                "answer": {"status": e.status, "body": scrub(e.answer)},
                "seconds": round(e.seconds, 3),
            }
            for e in exchanges
        ],
        "findings": [asdict(f) for f in _all_findings(exchanges)],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
