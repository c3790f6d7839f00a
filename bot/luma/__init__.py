"""The AceDataCloud Luma API: client, request/response models, typed errors (and a fake for tests/dev)."""

from .client import LumaClient, RetryPolicy
from .errors import (
    JobCancelled,
    LumaAuthError,
    LumaBadRequest,
    LumaBalanceError,
    LumaError,
    LumaNetworkError,
    LumaNotFound,
    LumaProtocolError,
    LumaRateLimited,
    LumaRefused,
    LumaServerError,
    LumaTaskFailed,
    LumaTimeoutError,
    QueueTimeout,
    RemovedByModerator,
)
from .models import ASPECT_RATIOS, PROMPT_MAX, PROMPT_MIN, Submission, TaskRecord, VideoRequest, VideoResult

__all__ = [
    "ASPECT_RATIOS",
    "PROMPT_MAX",
    "PROMPT_MIN",
    "JobCancelled",
    "LumaAuthError",
    "LumaBadRequest",
    "LumaBalanceError",
    "LumaClient",
    "LumaError",
    "LumaNetworkError",
    "LumaNotFound",
    "LumaProtocolError",
    "LumaRateLimited",
    "LumaRefused",
    "LumaServerError",
    "LumaTaskFailed",
    "LumaTimeoutError",
    "QueueTimeout",
    "RemovedByModerator",
    "RetryPolicy",
    "Submission",
    "TaskRecord",
    "VideoRequest",
    "VideoResult",
]
