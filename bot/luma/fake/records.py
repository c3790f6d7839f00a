"""What the fake Luma API keeps and answers with: its tokens, its tasks and their records, the fields the real API
takes, and its error shape (../shared/luma-api.md)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from aiohttp import web

from ..models import ASPECT_RATIOS, is_http_url

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


class BadRequest(Exception):
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
class Injected:
    status: int
    code: str
    message: str
    paths: tuple[str, ...]


def error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    body = {"success": False, "error": {"code": code, "message": message}, "trace_id": str(uuid.uuid4())}
    return web.json_response(body, status=status, headers=extra.get("headers"))


def validate(body: dict[str, Any], prompt_max: int) -> None:
    """The real API's checks of a `/luma/videos` body: a 400 with the reason, as `BadRequest`."""
    for key, value in body.items():
        expected = FIELDS.get(key)
        if expected is None:
            raise BadRequest(f"unknown field {key!r}")
        if (expected is not bool and isinstance(value, bool)) or not isinstance(value, expected):
            raise BadRequest(f"{key} has the wrong type")
    action = body.get("action", "generate")
    if action not in ("generate", "extend"):
        raise BadRequest("action must be generate or extend")
    prompt = body.get("prompt")
    if action == "generate" and not prompt:
        raise BadRequest("prompt is required")
    if prompt is not None and len(prompt) > prompt_max:  # a stand-in: the real limit is unpublished
        raise BadRequest(f"prompt must be at most {prompt_max} characters")
    if "aspect_ratio" in body and body["aspect_ratio"] not in ASPECT_RATIOS:
        raise BadRequest("aspect_ratio is invalid")
    for key in ("start_image_url", "end_image_url", "video_url", "callback_url"):
        if key in body and not is_http_url(body[key]):
            raise BadRequest(f"{key} must be an http(s) URL")
    if action == "extend":
        if not body.get("video_id") and not body.get("video_url"):
            raise BadRequest("video_id or video_url is required to extend")
        if "start_image_url" in body:
            raise BadRequest("start_image_url is not allowed when extending")
    if body.get("loop") and body.get("end_image_url"):
        raise BadRequest("loop cannot be used with end_image_url")
    if "timeout" in body and body["timeout"] <= 0:
        raise BadRequest("timeout must be positive")
