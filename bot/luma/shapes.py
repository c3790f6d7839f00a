"""What the bot expects of the API's answers (../shared/luma-api.md and the seed's real responses), so that an owner
can see at once whether today's API is the one the bot was built for (`luma-bot try --record`). No Discord here.

Only differences are reported; none is an error by itself: the client reads tolerantly (unknown fields are ignored,
an unknown state is still in progress). A finding is (what, where, detail), for a person and for a bug report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import DONE_WORDS, FAILED_WORDS

__all__ = ["Finding", "findings"]

ACK_FIELDS = frozenset({"task_id", "success", "trace_id"})
RESULT_FIELDS = frozenset({
    "success", "task_id", "video_id", "prompt", "video_url", "video_width", "video_height", "state", "thumbnail_url",
    "thumbnail_width", "thumbnail_height", "trace_id", "error",
})  # fmt: skip
RECORD_FIELDS = frozenset({
    "id", "_id", "api_id", "application_id", "credential_id", "user_id", "request", "response", "created_at",
    "started_at", "finished_at", "trace_id",
})  # fmt: skip
BATCH_FIELDS = frozenset({"items", "count"})
ERROR_FIELDS = frozenset({"success", "error", "trace_id", "code", "message"})
KNOWN_STATES = frozenset({"pending", "processing"}) | DONE_WORDS | FAILED_WORDS


@dataclass(frozen=True, slots=True)
class Finding:
    what: str  # unknown_fields | unknown_state | error_shape | not_json | no_task_id
    where: str  # e.g. "POST /luma/tasks: a task's response"
    detail: str


def findings(path: str, status: int | None, answer: Any) -> list[Finding]:
    """How one answer differs from what the bot expects."""
    where = f"POST {path}"
    if status is None:
        return []  # no answer (a network failure): nothing to compare
    if not isinstance(answer, dict):
        return [Finding("not_json", where, f"HTTP {status}: {str(answer)[:200]}")]
    if status >= 400 or answer.get("success") is False:
        return _error(where, answer)
    if path == "/luma/videos":
        found = _unknown(where, answer, ACK_FIELDS | RESULT_FIELDS)
        if not isinstance(answer.get("task_id"), str):
            found.append(Finding("no_task_id", where, "the answer has no task_id"))
        return found
    if "items" in answer:
        found = _unknown(where, answer, BATCH_FIELDS)
        for item in answer["items"] if isinstance(answer["items"], list) else []:
            found += _record(where, item)
        return found
    return _record(where, answer)


def _unknown(where: str, data: dict[str, Any], known: frozenset[str]) -> list[Finding]:
    extra = sorted(set(data) - known)
    return [Finding("unknown_fields", where, ", ".join(extra))] if extra else []


def _record(where: str, record: Any) -> list[Finding]:
    if not isinstance(record, dict):
        return [Finding("not_json", where, f"a task record that is not an object: {str(record)[:200]}")]
    found = _unknown(f"{where}: a task record", record, RECORD_FIELDS)
    response = record.get("response")
    if isinstance(response, dict):
        found += _unknown(f"{where}: a task's response", response, RESULT_FIELDS)
        state = response.get("state") or response.get("status")
        if isinstance(state, str) and state.lower() not in KNOWN_STATES:
            found.append(Finding("unknown_state", f"{where}: a task's response", state))
        if response.get("success") is False or response.get("error"):
            found += _error(f"{where}: a task's response", response)
    return found


def _error(where: str, body: dict[str, Any]) -> list[Finding]:
    found = _unknown(f"{where}: an error", body, ERROR_FIELDS | RESULT_FIELDS)
    error = body.get("error")
    if isinstance(error, dict):
        if not isinstance(error.get("code"), str) or not error.get("code"):
            found.append(Finding("error_shape", where, "an error without a code"))
        extra = sorted(set(error) - {"code", "message"})
        if extra:
            detail = "the error has fields the bot does not read: " + ", ".join(extra)
            found.append(Finding("error_shape", where, detail))
    elif isinstance(error, str):
        found.append(Finding("error_shape", where, "the error is a plain string (the bot reads it as the message)"))
    elif not body.get("code"):
        found.append(Finding("error_shape", where, "a refusal without an error object"))
    return found
