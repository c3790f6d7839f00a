"""SQLite via aiosqlite: the connection and migrations, and one module per table family."""

from .db import Database, Tx
from .guilds import AuditEntry, GuildSettings, GuildStore
from .jobs import Job, JobStore
from .quotas import QuotaStore, Usage
from .videos import Video, VideoStore

__all__ = [
    "AuditEntry",
    "Database",
    "GuildSettings",
    "GuildStore",
    "Job",
    "JobStore",
    "QuotaStore",
    "Tx",
    "Usage",
    "Video",
    "VideoStore",
]
