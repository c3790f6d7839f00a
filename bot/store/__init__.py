"""SQLite via aiosqlite: the connection and migrations, and one module per table family."""

from .db import AlreadyRunning, Database, InstanceLock, Tx
from .guilds import AuditEntry, GuildSettings, GuildStore
from .jobs import Job, JobStore
from .media import MediaFile, MediaStore
from .moderation import MemberBlock, ModerationStore
from .quotas import QuotaStore, Usage
from .videos import Video, VideoStore

__all__ = [
    "AlreadyRunning",
    "AuditEntry",
    "Database",
    "GuildSettings",
    "GuildStore",
    "InstanceLock",
    "Job",
    "JobStore",
    "MediaFile",
    "MediaStore",
    "MemberBlock",
    "ModerationStore",
    "QuotaStore",
    "Tx",
    "Usage",
    "Video",
    "VideoStore",
]
