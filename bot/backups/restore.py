"""Putting a checked backup back: into an empty database (or, told to, over one), at the archive's schema version,
then migrated to this code's, every table's count compared before and after (as migrate-db verifies); the kept
copies back into MEDIA_DIR. Holds the database's instance lock throughout: never under a running bot. No Discord
here."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from bot.config import Settings
from bot.store import AlreadyRunning
from bot.store.opening import open_database, take_instance_lock
from bot.store.transfer import NotEmpty, TransferReport, verify_counts, write_tables

from .archive import ArchiveError, Backup

__all__ = ["restore_backup"]


async def restore_backup(backup: Backup, settings: Settings, *, force: bool = False) -> TransferReport:
    """ArchiveError("running") under a running bot, ("target") for a target at another schema version or holding data
    (unless `force`); TransferError if a count differs (nothing kept)."""
    try:
        lock = await take_instance_lock(
            settings.database_path, settings.database_url, notice_within=settings.standby_takeover
        )
    except AlreadyRunning as exc:
        raise ArchiveError("running", str(exc)) from None
    try:
        db = await open_database(settings.database_path, settings.database_url, upto=backup.schema_version)
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
        db = await open_database(settings.database_path, settings.database_url)  # the migrations since, one by one
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
