"""Typed errors of the AceDataCloud Luma API, built from its error bodies and from transport failures."""

from __future__ import annotations

from typing import Any

from bot.i18n import N_

__all__ = [
    "JobCancelled",
    "LumaAuthError",
    "LumaBadRequest",
    "LumaBalanceError",
    "LumaError",
    "LumaNetworkError",
    "LumaNotFound",
    "LumaProtocolError",
    "LumaRateLimited",
    "LumaRefused",
    "LumaServerError",
    "LumaTaskFailed",
    "LumaTaskLost",
    "LumaTimeoutError",
    "QueueTimeout",
    "RemovedByModerator",
    "body_excerpt",
    "error_from_outcome",
    "error_from_response",
]


class LumaError(Exception):
    """Any failure talking to the Luma API.

    `ambiguous` is true when a submission may have reached the API and a task may exist anyway:
    such a failure must never be answered by sending the same request again.
    """

    kind = "error"
    #: What a member is told; admins additionally get `detail`.
    member_message = N_("Luma could not make this video. You were not charged; please try again later.")
    #: Whether the problem is the owner's setup rather than the member's input.
    owner_problem = False

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        trace_id: str | None = None,
        ambiguous: bool = False,
    ) -> None:
        self.message = message or self.kind
        #: The API's own words (from a JSON error body), the only text of the API a member may read.
        self.api_message: str | None = message or None
        self.code = code
        self.status = status
        self.trace_id = trace_id
        self.ambiguous = ambiguous
        super().__init__(self.detail)

    @property
    def detail(self) -> str:
        parts = [self.message]
        if self.code:
            parts.append(f"code={self.code}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.trace_id:
            parts.append(f"trace_id={self.trace_id}")
        return " ".join(parts)  # i18n: not text (the log's and the owner's technical detail)


class LumaAuthError(LumaError):
    kind = "auth"
    member_message = N_("The bot is not set up correctly (its Luma API token was refused). An admin has been told.")
    owner_problem = True


class LumaBalanceError(LumaError):
    kind = "balance"
    member_message = N_("This server's Luma credits are used up. An admin has been told; you were not charged.")
    owner_problem = True


class LumaBadRequest(LumaError):
    kind = "bad_request"
    member_message = N_("Luma did not accept this request")


class LumaRefused(LumaError):
    kind = "refused"
    member_message = N_("This prompt was refused by Luma's content rules. Try wording it differently.")


class LumaNotFound(LumaError):
    kind = "not_found"
    member_message = N_("The bot is misconfigured (the Luma API address is wrong). An admin has been told.")
    owner_problem = True


class LumaRateLimited(LumaError):
    kind = "rate_limited"
    member_message = N_("Luma is busy right now. Please try again in a minute; you were not charged.")

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class LumaServerError(LumaError):
    kind = "server"
    member_message = N_("Luma failed to make this video. You were not charged; please try again.")


class LumaTimeoutError(LumaError):
    kind = "timeout"
    member_message = N_("Luma took too long to make this video. You were not charged; please try again.")


class LumaNetworkError(LumaError):
    kind = "network"
    member_message = N_("The bot could not reach Luma. You were not charged; please try again later.")


class LumaProtocolError(LumaError):
    kind = "protocol"
    member_message = N_(
        "Luma answered in a way the bot did not understand. You were not charged; an admin has been told."
    )
    owner_problem = True  # an HTML page from a proxy, a 200 without a task: the owner should look


class JobCancelled(LumaError):
    """Not the API's: the member (or a moderator) took the job out of the line before it started."""

    kind = "cancelled"
    member_message = N_("Cancelled before it started. Nothing was charged.")


class RemovedByModerator(LumaError):
    """Not the API's: the member was blocked while this job waited for a slot, so it left the line."""

    kind = "removed"
    member_message = N_("A moderator stopped this request before it started. Nothing was charged.")


class QueueTimeout(LumaError):
    """Not the API's: no slot freed up for this job within QUEUE_TIMEOUT."""

    kind = "queue_timeout"
    member_message = N_(
        "No slot freed up in time: this video waited longer than this bot allows. Nothing was charged; "
        "please try again later."
    )


class LumaTaskFailed(LumaError):
    """A task that the API accepted and later reported as failed (with no error code the bot knows)."""

    kind = "task_failed"
    member_message = N_("Luma could not make this video. You were not charged.")


class LumaTaskLost(LumaError):
    """A task the API still did not know TASK_RECORD_GRACE seconds after the bot last saw it (or submitted it)."""

    kind = "lost"
    member_message = N_("Luma lost track of this video. You were not charged; please try again.")


_BY_CODE: dict[str, type[LumaError]] = {
    "no_token": LumaAuthError,
    "token_mismatched": LumaAuthError,
    "invalid_token": LumaAuthError,
    "token_expired": LumaAuthError,
    "disabled": LumaAuthError,
    "used_up": LumaBalanceError,
    "forbidden": LumaRefused,
    "bad_request": LumaBadRequest,
    "no_api": LumaNotFound,
    "api_not_implemented": LumaNotFound,  # 400: this action is not offered (a configuration error, not the input)
    "too_many_requests": LumaRateLimited,
    "rate_limited": LumaRateLimited,
    "api_error": LumaServerError,
    "timeout": LumaTimeoutError,
}


def _by_status(status: int) -> type[LumaError]:
    if status in (401,):
        return LumaAuthError
    if status == 403:
        return LumaRefused
    if status == 404:
        return LumaNotFound
    if status == 429:
        return LumaRateLimited
    if status == 504:
        return LumaTimeoutError
    if status >= 500:
        return LumaServerError
    if status >= 400:
        return LumaBadRequest
    return LumaProtocolError


def split_error(body: Any) -> tuple[str | None, str, str | None]:
    """(code, message, trace_id) from an error body; `error` may be an object or a plain string, and the
    code may also stand at the top level (`{"code": "used_up"}`, as AceDataCloud's web app reads it).

    Only a JSON body's own message is ever taken: an HTML page or other text from a proxy in front of
    the API (which may show internal addresses) gives no message at all; `body_excerpt` keeps it for logs.
    """
    if not isinstance(body, dict):
        return None, "", None
    trace_id = body.get("trace_id") if isinstance(body.get("trace_id"), str) else None
    top_code = body.get("code") if isinstance(body.get("code"), str) and body.get("code") else None
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code") if isinstance(error.get("code"), str) and error.get("code") else top_code
        message = error.get("message") if isinstance(error.get("message"), str) else ""
        return code, message or "", trace_id
    if isinstance(error, str):
        return top_code, error, trace_id
    message = body.get("message") if isinstance(body.get("message"), str) else ""
    return top_code, message, trace_id


def body_excerpt(body: Any, limit: int = 200) -> str:
    """A short, single-line piece of an unreadable answer, for the log and the owner's DM only."""
    text = body if isinstance(body, str) else repr(body)
    return " ".join(text.split())[:limit]


def error_from_response(
    status: int, body: Any, *, retry_after: float | None = None, ambiguous: bool = False
) -> LumaError:
    """The typed error for an HTTP error answer of the API."""
    code, message, trace_id = split_error(body)
    cls = _BY_CODE.get(code or "") or _by_status(status)
    api_message = message or None
    if not message and body:  # not the API's own words: a piece for the log, nothing of it for members
        message = f"HTTP {status} without an API error message: {body_excerpt(body)}"  # i18n: not text (the log)
        if code is None and 400 <= status < 500 and status != 429:
            cls = LumaProtocolError  # a 4xx that is not the API's JSON: something in between answered
    extra: dict[str, Any] = {"retry_after": retry_after} if cls is LumaRateLimited else {}
    error = cls(message, code=code, status=status, trace_id=trace_id, ambiguous=ambiguous, **extra)
    error.api_message = api_message
    return error


def error_from_outcome(body: Any) -> LumaError:
    """The typed error of a task that ended failed (its `response` in /luma/tasks, or its callback): classified by
    its code exactly as the same error on submit, so Luma's moderation (`forbidden`) is told privately and a refused
    token or an empty balance reaches the owner, whichever way the API reports it."""
    code, message, trace_id = split_error(body)
    cls = _BY_CODE.get(code or "", LumaTaskFailed)
    if cls in (LumaServerError, LumaTimeoutError, LumaRateLimited):
        # a render that failed upstream: its reason is the upstream's own words, shown to the member as
        # AceDataCloud's web app shows a task's `error.message` (and a limit in a task that ran is no reason to queue)
        cls = LumaTaskFailed
    error = cls(message or "the task failed", code=code, trace_id=trace_id)  # i18n: not text (the log)
    error.api_message = message or None
    return error
