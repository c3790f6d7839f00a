"""SQLite via aiosqlite: the connection and migrations, and one module per table family."""

from .db import AlreadyRunning, Database, InstanceLock, Tx
from .frames import Frame, FrameStore
from .guilds import AuditEntry, ChannelProblem, GuildSettings, GuildStore
from .jobs import SERVER_LIMIT, Job, JobStore
from .media import MediaFile, MediaStore
from .members import MemberPrefs, MemberStore
from .moderation import MemberBlock, ModerationStore
from .quotas import QuotaStore, Usage
from .showcase import Showcased, StarStore
from .videos import Video, VideoStore, Viewer

__all__ = [
    "SERVER_LIMIT",
    "AlreadyRunning",
    "AuditEntry",
    "ChannelProblem",
    "Database",
    "Frame",
    "FrameStore",
    "GuildSettings",
    "GuildStore",
    "InstanceLock",
    "Job",
    "JobStore",
    "MediaFile",
    "MediaStore",
    "MemberBlock",
    "MemberPrefs",
    "MemberStore",
    "ModerationStore",
    "QuotaStore",
    "Showcased",
    "StarStore",
    "Tx",
    "Usage",
    "Video",
    "VideoStore",
    "Viewer",
]
