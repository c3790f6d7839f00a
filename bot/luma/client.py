"""The AceDataCloud Luma API client: one aiohttp session, typed requests, typed errors, safe retries.

Which failures are retried, and why
-----------------------------------
A submission (`POST /luma/videos`) costs the owner a video if it reaches the API. So a submission
is re-sent only when we *know* the API did not act on it:

* a connection that could not be opened (refused, DNS, TLS handshake): nothing was sent.

A submission answered 429 (the API refused it: a rate or concurrency limit) is not re-sent here: it is
raised at once, and the job goes back to the head of the line (bot/jobs/line.py), which lowers its cap and
waits before the next submission. Reads are retried on 429 with back-off.

Every other failure of a submission is *ambiguous*: a 5xx, a time-out, a connection dropped
after the body went out, or a 200 we cannot read may all hide a task that was created. Those are
raised with `ambiguous=True` and never re-sent; the caller reports them (and, in callback mode,
still accepts a late callback for that job).

Reading tasks (`POST /luma/tasks`) changes nothing, so it is also retried on 5xx, time-outs and
dropped connections. Other 4xx answers are final everywhere: sending them again cannot help.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.config import Secret

from .errors import (
    LumaError,
    LumaNetworkError,
    LumaProtocolError,
    LumaRateLimited,
    LumaServerError,
    LumaTimeoutError,
    error_from_response,
)
from .models import Submission, TaskRecord, VideoRequest, VideoResult

__all__ = ["CREATE_PROBE", "Access", "Exchange", "LumaClient", "RetryPolicy"]

log = logging.getLogger(__name__)

BATCH_SIZE = 50
MAX_ANSWER_BYTES = 4 * 1024 * 1024  # a batch of 50 records is tens of KiB; anything past this is not an answer


# a request to create a video that the API must refuse for its body: a generate without a prompt ("prompt is
# required"); `async` so that it would answer at once even if it were ever accepted
CREATE_PROBE = {"action": "generate", "prompt": "", "async": True}


@dataclass(frozen=True, slots=True)
class Access:
    """What a token may do: None where it may, else the API's refusal; `created`: the task id of a probe the API
    should have refused and did not (it may bill it)."""

    reading: LumaError | None
    creating: LumaError | None
    created: str | None = None

    @property
    def ok(self) -> bool:
        return self.reading is None and self.creating is None and self.created is None


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request to the API and its answer, as `luma-bot try --record` keeps them (no headers: no token)."""

    path: str
    body: dict[str, Any]
    status: int | None
    answer: Any
    seconds: float


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full-jitter exponential backoff; a server's Retry-After is a floor."""
        backoff = random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
        return max(backoff, retry_after or 0.0)


def _retry_after(headers: Any, body: Any) -> float | None:
    for value in (headers.get("Retry-After"), body.get("retry_after") if isinstance(body, dict) else None):
        try:
            if value is not None:
                return max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return None


class LumaClient:
    """Talks to `/luma/videos` and `/luma/tasks`. The session is the caller's and outlives the client."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token: Secret | str,
        *,
        retry: RetryPolicy | None = None,
        request_timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._token = token if isinstance(token, Secret) else Secret(token)
        self._retry = retry or RetryPolicy()
        self._timeout = request_timeout
        self.observer: Callable[[Exchange], None] | None = None  # sees every exchange (luma-bot try --record)

    def __repr__(self) -> str:
        return f"<LumaClient base={self._base!r}>"

    # --- public calls -------------------------------------------------------------------------

    async def submit(
        self,
        request: VideoRequest,
        *,
        callback_url: str | None = None,
        asynchronous: bool = True,
        timeout: float | None = None,
    ) -> Submission:
        """Create a video. With `asynchronous` or a `callback_url` the answer is only a task id."""
        body = request.to_payload(callback_url=callback_url, asynchronous=asynchronous)
        blocking = "async" not in body
        if blocking and timeout is not None:
            body["timeout"] = timeout
        wait = (timeout or 300.0) + 30.0 if blocking else self._timeout
        data = await self._post("/luma/videos", body, idempotent=False, timeout=wait)
        if not isinstance(data, dict):
            raise LumaProtocolError("the answer to a submission is not an object", ambiguous=True)
        if data.get("success") is False:  # a refusal in a 200 (e.g. used_up): no task was made
            raise error_from_response(200, data)
        task_id = data.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise LumaProtocolError("the API accepted the video but sent no task_id", ambiguous=True)
        result = VideoResult.from_payload(data) if data.get("video_url") else None
        return Submission(task_id=task_id, result=result)

    async def retrieve(self, task_id: str) -> TaskRecord:
        data = await self._post("/luma/tasks", {"action": "retrieve", "id": task_id}, idempotent=True)
        return TaskRecord.from_payload(data)

    async def retrieve_many(self, task_ids: Sequence[str]) -> list[TaskRecord]:
        """Read many tasks in batches of BATCH_SIZE; ids the API does not know are simply absent."""
        records: list[TaskRecord] = []
        for start in range(0, len(task_ids), BATCH_SIZE):
            chunk = list(task_ids[start : start + BATCH_SIZE])
            data = await self._post("/luma/tasks", {"action": "retrieve_batch", "ids": chunk}, idempotent=True)
            items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise LumaProtocolError("batch answer has no items list")
            for item in items:
                try:
                    records.append(TaskRecord.from_payload(item))
                except LumaProtocolError as exc:
                    log.warning("skipping an unreadable task record: %s", exc)
        return records

    async def check_access(self) -> Access:
        """What the token may do, without spending a credit. Reading: a task that does not exist (a 404 means the
        token was accepted). Creating: a request the API must refuse (`prompt is required`, a documented 400), which
        AceDataCloud's gateway judges only after the credential (invalid, expired, for another service, disabled,
        an empty balance: authentication.mdx), so a 400 for the body means the key may create videos."""
        reading: LumaError | None = None
        try:
            await self._post("/luma/tasks", {"action": "retrieve", "id": "luma-bot-token-check"}, idempotent=True)
        except LumaError as exc:
            if not (exc.status in (400, 404) and exc.kind in ("bad_request", "not_found") and exc.code != "no_api"):
                reading = exc  # else: the token was accepted; the made-up task simply does not exist
        creating: LumaError | None = None
        created = None
        try:
            answer = await self._post("/luma/videos", CREATE_PROBE, idempotent=False)
            created = answer.get("task_id") if isinstance(answer, dict) else None
        except LumaError as exc:
            if not (exc.status == 400 and exc.kind == "bad_request"):
                creating = exc  # else: refused for the body, so the credential itself may create videos
        return Access(reading, creating, created if isinstance(created, str) else None)

    # --- transport ------------------------------------------------------------------------------

    async def _post(self, path: str, body: dict[str, Any], *, idempotent: bool, timeout: float | None = None) -> Any:
        url = self._base + path
        headers = {
            "authorization": f"Bearer {self._token.get()}",
            "content-type": "application/json",
            "accept": "application/json",
        }
        attempt = 0
        while True:
            try:
                return await self._post_once(url, body, headers, timeout or self._timeout, idempotent)
            except LumaError as exc:
                if not self._should_retry(exc, idempotent) or attempt + 1 >= self._retry.attempts:
                    raise
                delay = self._retry.delay(attempt, getattr(exc, "retry_after", None))
                log.info("%s failed (%s); retry %d in %.2fs", path, exc.kind, attempt + 1, delay)
                attempt += 1
                await asyncio.sleep(delay)

    @staticmethod
    def _should_retry(exc: LumaError, idempotent: bool) -> bool:
        if isinstance(exc, LumaRateLimited):
            return idempotent  # a submission's 429 goes back to the line (bot/jobs/line.py), which waits its turn
        if isinstance(exc, LumaNetworkError) and not exc.ambiguous:
            return True  # the connection was never opened: nothing reached the API
        if idempotent:
            return isinstance(exc, LumaServerError | LumaTimeoutError | LumaNetworkError)
        return False

    async def _post_once(
        self, url: str, body: dict[str, Any], headers: dict[str, str], timeout: float, idempotent: bool
    ) -> Any:
        sent_maybe = not idempotent
        started = time.monotonic()
        seen: list[tuple[int, Any]] = []  # the answer, for the observer (whatever it was, or none)
        try:
            return await self._exchange(url, body, headers, timeout, sent_maybe, seen)
        finally:
            if self.observer is not None:
                status, answer = seen[0] if seen else (None, None)
                self.observer(Exchange(url.removeprefix(self._base), body, status, answer, time.monotonic() - started))

    async def _exchange(
        self,
        url: str,
        body: dict[str, Any],
        headers: dict[str, str],
        timeout: float,
        sent_maybe: bool,
        seen: list[tuple[int, Any]],
    ) -> Any:
        try:
            async with self._session.post(
                url, json=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                chunks, size = [], 0
                async for chunk in response.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:  # stop reading: the connection is dropped with the answer
                        raise LumaProtocolError(
                            f"the API answered {response.status} with more than {MAX_ANSWER_BYTES} bytes",
                            ambiguous=sent_maybe,
                        )
                    chunks.append(chunk)
                text = b"".join(chunks).decode("utf-8", errors="replace")
                try:
                    data = json.loads(text) if text else None
                except (ValueError, RecursionError):
                    data = None
                seen.append((response.status, data if data is not None else text[:2000]))
                if response.status >= 400:
                    raise error_from_response(
                        response.status,
                        data if data is not None else text,
                        retry_after=_retry_after(response.headers, data),
                        ambiguous=sent_maybe and response.status >= 500,
                    )
                if data is None:
                    raise LumaProtocolError(f"the API answered {response.status} without JSON", ambiguous=sent_maybe)
                return data
        except aiohttp.ClientConnectorError as exc:
            raise LumaNetworkError(f"cannot connect to the Luma API: {exc.os_error}") from None
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise LumaNetworkError(
                f"connection to the Luma API failed: {type(exc).__name__}", ambiguous=sent_maybe
            ) from None
        except TimeoutError:
            raise LumaTimeoutError(f"no answer from the Luma API within {timeout:.0f}s", ambiguous=sent_maybe) from None
