"""Putting a checked backup back: into an empty database (or, told to, over one), at the archive's schema version,
then migrated to this code's, every table's count compared before and after (as migrate-db verifies); the kept
copies back into MEDIA_DIR. Holds the database's instance lock throughout: never under a running bot. No Discord
here."""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.extras import needs_extra
from bot.store import AlreadyRunning, Database, InstanceLock
from bot.store.db import load_migrations
from bot.store.transfer import NotEmpty, TransferReport, verify_counts, write_tables

from .archive import ArchiveError, Backup

__all__ = ["restore_backup"]


async def _open(settings: Settings, upto: int | None) -> Any:
    """The target database, migrated to `upto` (None: to this code's latest)."""
    if settings.database_url:
        postgres = needs_extra("postgres", "bot.store.postgres", "DATABASE_URL")
        chosen = postgres.load_postgres_migrations()
        return await postgres.PostgresDatabase.open(settings.database_url, migrations=chosen[:upto] if upto else None)
    return await Database.open(settings.database_path, migrations=load_migrations()[:upto] if upto else None)


async def _locked(settings: Settings) -> Any:
    if settings.database_url:
        postgres = needs_extra("postgres", "bot.store.postgres", "DATABASE_URL")
        lock = postgres.PostgresInstanceLock(settings.database_url)
        await lock.acquire()
        return lock
    lock = InstanceLock(settings.database_path)
    lock.acquire()
    return lock


async def restore_backup(backup: Backup, settings: Settings, *, force: bool = False) -> TransferReport:
    """ArchiveError("running") under a running bot, ("target") for a target at another schema version or holding data
    (unless `force`); TransferError if a count differs (nothing kept)."""
    try:
        lock = await _locked(settings)
    except AlreadyRunning as exc:
        raise ArchiveError("running", str(exc)) from None
    try:
        db = await _open(settings, backup.schema_version)
        try:
            found = await db.schema_version()
            if found != backup.schema_version:
                raise ArchiveError("version", str(found))
            try:
                await write_tables(db, backup.tables, replace=force)
            except NotEmpty as exc:
                raise ArchiveError("target", exc.table) from None
        finally:
            await db.close()
        db = await _open(settings, None)  # the migrations since the archive's version, each in its transaction
        try:
            await verify_counts(db, backup.counts)
        finally:
            await db.close()
        _put_media(backup, settings.media_path, force=force)
    finally:
        released = lock.release()
        if inspect.isawaitable(released):
            await released
    return TransferReport(backup.counts)


def _put_media(backup: Backup, folder: Path, *, force: bool) -> None:
    """The kept copies back where the bot keeps them; a different file already there is kept unless `force`."""
    for name, data in backup.media.items():
        path = (folder / name).resolve()
        if folder.resolve() not in path.parents:
            raise ArchiveError("tampered", f"media/{name}")  # a path that leads outside MEDIA_DIR
        if path.exists() and path.read_bytes() != data and not force:
            raise ArchiveError("target", str(path))  # a different file is there
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, path)
