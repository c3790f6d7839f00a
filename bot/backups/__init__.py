"""Backups an owner can restore: one archive for SQLite and PostgreSQL (archive.py), put back only once checked
(restore.py). May import bot.store, bot.config and bot.clock; never Discord."""

from .archive import FORMAT, ArchiveError, Backup, read_backup, write_backup
from .restore import restore_backup

__all__ = ["FORMAT", "ArchiveError", "Backup", "read_backup", "restore_backup", "write_backup"]
