"""Requests to and results from the Luma API, parsed tolerantly where it is safe and strictly where it matters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.config import ASPECT_RATIOS
from bot.errors import InputError
from bot.i18n import N_, _, listing

from .camera import check_camera, with_camera
from .errors import LumaError, LumaProtocolError, LumaTaskFailed, error_from_outcome

__all__ = [
    "ASPECT_RATIOS",
    "PROMPT_MAX",
    "PROMPT_MIN",
    "Submission",
    "TaskRecord",
    "VideoRequest",
    "VideoResult",
    "is_http_url",
]

PROMPT_MIN = 3  # a product floor (a reply of "ok" to a video must not bill the owner), not the API's rule
PROMPT_MAX = 6000  # Discord's own limit for a string option; the API states none, so it is not checked here

Action = Literal["generate", "extend"]
TaskState = Literal["pending", "completed", "failed"]


def is_http_url(value: object) -> bool:
    """An absolute http(s) link. Never raises: a malformed link (`https://[cdn]/a.jpg`) is simply not one."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """One `POST /luma/videos` body. Build it with `generate()` or `extend()`; both validate."""

    action: Action
    prompt: str
    aspect_ratio: str = "16:9"
    loop: bool = False
    enhancement: bool = True
    start_image_url: str | None = None
    end_image_url: str | None = None
    video_id: str | None = None
    video_url: str | None = None
    camera: str | None = None  # a key of bot/luma/camera.py: its phrase is added to the prompt sent, not stored in it

    @classmethod
    def generate(
        cls,
        prompt: str,
        *,
        start_image_url: str | None = None,
        end_image_url: str | None = None,
        aspect_ratio: str = "16:9",
        loop: bool = False,
        enhancement: bool = True,
        camera: str | None = None,
    ) -> VideoRequest:
        request = cls(
            "generate",
            prompt.strip(),
            aspect_ratio=aspect_ratio,
            loop=loop,
            enhancement=enhancement,
            start_image_url=start_image_url,
            end_image_url=end_image_url,
            camera=check_camera(camera),
        )
        request.validate()
        return request

    @classmethod
    def extend(
        cls,
        prompt: str,
        *,
        video_id: str | None = None,
        video_url: str | None = None,
        end_image_url: str | None = None,
        loop: bool = False,
        enhancement: bool = True,
        camera: str | None = None,
    ) -> VideoRequest:
        request = cls(
            "extend",
            prompt.strip(),
            loop=loop,
            enhancement=enhancement,
            end_image_url=end_image_url,
            video_id=video_id,
            video_url=video_url,
            camera=check_camera(camera),
        )
        request.validate()
        return request

    def validate(self) -> None:
        """Raise InputError with a sentence a member understands."""
        if len(self.prompt) < PROMPT_MIN:
            raise InputError(_("The prompt must be at least {n} characters long.").format(n=PROMPT_MIN))
        if self.aspect_ratio not in ASPECT_RATIOS:
            raise InputError(_("The aspect ratio must be one of {ratios}.").format(ratios=listing(list(ASPECT_RATIOS))))
        links = {
            "start_image_url": N_("The start image link must be an http or https link."),
            "end_image_url": N_("The end image link must be an http or https link."),
            "video_url": N_("The video link must be an http or https link."),
        }
        for name, sentence in links.items():
            value = getattr(self, name)
            if value is not None and not is_http_url(value):
                raise InputError(_(sentence))
        if self.action == "extend":
            if not (self.video_id or self.video_url):
                raise InputError(_("Say which video to extend."))
            if self.start_image_url:
                raise InputError(_("An extension continues a video; it takes no start image."))
        # No local rule against loop with an end frame, nor a length limit: no public source states them,
        # so the API's own 400 speaks (its message is shown to the member).

    def to_payload(self, *, callback_url: str | None = None, asynchronous: bool = True) -> dict[str, Any]:
        """The JSON body. Every option is sent explicitly; never rely on the API's defaults."""
        body: dict[str, Any] = {"action": self.action, "prompt": with_camera(self.prompt, self.camera)}
        if self.action == "generate":
            body["aspect_ratio"] = self.aspect_ratio
            if self.start_image_url:
                body["start_image_url"] = self.start_image_url
        elif self.video_id:
            body["video_id"] = self.video_id
        else:
            body["video_url"] = self.video_url
        if self.end_image_url:
            body["end_image_url"] = self.end_image_url
        body["loop"] = self.loop
        body["enhancement"] = self.enhancement
        if callback_url:
            body["callback_url"] = callback_url
        if asynchronous or callback_url:
            body["async"] = True
        return body

    def to_record(self) -> dict[str, Any]:
        """What is stored: the body without transport fields, the member's own prompt, and the move apart."""
        body = self.to_payload(asynchronous=False)
        body["prompt"] = self.prompt
        if self.camera:
            body["camera"] = self.camera
        return body

    @classmethod
    def from_payload(cls, body: dict[str, Any]) -> VideoRequest:
        """Rebuild a stored request (the inverse of `to_record`, ignoring transport fields)."""
        return cls(
            action=body.get("action", "generate"),
            prompt=body.get("prompt", ""),
            aspect_ratio=body.get("aspect_ratio", "16:9"),
            loop=bool(body.get("loop", False)),
            enhancement=bool(body.get("enhancement", True)),
            start_image_url=body.get("start_image_url"),
            end_image_url=body.get("end_image_url"),
            video_id=body.get("video_id"),
            video_url=body.get("video_url"),
            camera=body.get("camera"),
        )


def _str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


@dataclass(frozen=True, slots=True)
class VideoResult:
    """A finished video: the flat object of a blocking answer, a callback or a task's `response`."""

    task_id: str
    video_id: str | None
    video_url: str
    thumbnail_url: str | None = None
    prompt: str | None = None
    width: int | None = None
    height: int | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None
    trace_id: str | None = None

    @classmethod
    def from_payload(cls, data: Any, *, task_id: str | None = None) -> VideoResult:
        if not isinstance(data, dict):
            raise LumaProtocolError("video result is not an object")
        found_task = _str(data, "task_id") or task_id
        video_url = _str(data, "video_url")
        if not found_task:
            raise LumaProtocolError("video result has no task_id")
        if not video_url or not is_http_url(video_url):
            raise LumaProtocolError("video result has no usable video_url")
        thumbnail = _str(data, "thumbnail_url")
        return cls(
            task_id=found_task,
            video_id=_str(data, "video_id"),
            video_url=video_url,
            thumbnail_url=thumbnail if thumbnail and is_http_url(thumbnail) else None,
            prompt=_str(data, "prompt"),
            width=_int(data, "video_width"),
            height=_int(data, "video_height"),
            thumbnail_width=_int(data, "thumbnail_width"),
            thumbnail_height=_int(data, "thumbnail_height"),
            trace_id=_str(data, "trace_id"),
        )


@dataclass(frozen=True, slots=True)
class Submission:
    """What `POST /luma/videos` answered: always a task id, and the result when the call blocked."""

    task_id: str
    result: VideoResult | None = None


# State words, as AceDataCloud's own SDK reads them (python/src/acedatacloud/_runtime/tasks.py): a status word is
# the strongest signal and outranks `success`; any other word means the task is still running.
DONE_WORDS = frozenset({"succeed", "succeeded", "success", "completed", "complete", "finished"})
FAILED_WORDS = frozenset({"failed", "failure", "error", "cancelled", "canceled", "rejected"})


def _state_word(response: dict[str, Any]) -> str | None:
    for key in ("state", "status"):
        value = response.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """One task as `/luma/tasks` reports it, reduced to pending, completed or failed."""

    task_id: str
    state: TaskState
    result: VideoResult | None = None
    error: LumaError | None = None
    created_at: float | None = None
    finished_at: float | None = None

    @classmethod
    def from_outcome(cls, task_id: str, response: Any, *, finished: bool = False) -> TaskRecord:
        """Read a task's `response` (or a callback body, which comes once the task has ended: `finished`).

        A job fails only on a final answer: a failed state word, a completed one without a video, or a structured
        error (`error` with a `code`). `success: false` alone, with no state word, no code and no `finished_at`,
        is a passing hiccup while the task still runs (as AceDataCloud's SDK reads it); an unknown word is a
        state still in progress; `error: null` or "" is no error."""
        if not isinstance(response, dict):
            return cls(task_id, "pending")
        word = _state_word(response)
        error = response.get("error")
        structured = isinstance(error, dict) and bool(error.get("code"))
        video_url = response.get("video_url")
        if word in FAILED_WORDS:
            return cls._failed(task_id, response)
        if word in DONE_WORDS:
            if not video_url:
                return cls._failed(task_id, response, without_video=True)
            return cls(task_id, "completed", result=VideoResult.from_payload(response, task_id=task_id))
        if word is not None:
            return cls(task_id, "pending")  # pending, processing, or a state this bot does not know yet
        success = response.get("success")
        if success is False and (structured or finished):
            return cls._failed(task_id, response)
        if structured and success is not True:
            return cls._failed(task_id, response)
        if success is not False and video_url:
            return cls(task_id, "completed", result=VideoResult.from_payload(response, task_id=task_id))
        if finished and success is not False:
            return cls._failed(task_id, response, without_video=True)
        return cls(task_id, "pending")

    @classmethod
    def _failed(cls, task_id: str, response: dict[str, Any], *, without_video: bool = False) -> TaskRecord:
        error = error_from_outcome(response)
        if without_video and error.api_message is None:
            error = LumaTaskFailed("the task ended without a video")
        return cls(task_id, "failed", error=error)

    @classmethod
    def from_payload(cls, data: Any) -> TaskRecord:
        if not isinstance(data, dict):
            raise LumaProtocolError("task record is not an object")
        task_id = _str(data, "id") or _str(data, "task_id")
        if not task_id:
            raise LumaProtocolError("task record has no id")
        finished = data.get("finished_at")
        record = cls.from_outcome(task_id, data.get("response"), finished=finished is not None)
        created = data.get("created_at")
        return cls(
            record.task_id,
            record.state,
            result=record.result,
            error=record.error,
            created_at=float(created) if isinstance(created, int | float) else None,
            finished_at=float(finished) if isinstance(finished, int | float) else None,
        )
