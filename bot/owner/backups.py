"""`luma-bot backup` and `luma-bot restore`, in the owner's terminal and language."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.backups import ArchiveError, read_backup, restore_backup, write_backup
from bot.config import Settings
from bot.i18n import _, size
from bot.store.opening import known_version, open_database
from bot.store.transfer import TransferError

from .terminal import Terminal

__all__ = ["backup", "default_name", "restore"]

EXIT_FAILED = 1


def default_name(now: datetime | None = None) -> str:
    return f"luma-bot-backup-{(now or datetime.now(UTC)):%Y%m%d-%H%M%S}.tar.gz"


async def backup(settings: Settings, to: Path | None, *, media: bool, terminal: Terminal | None = None) -> int:
    """One consistent archive of the database while the bot runs (and, with `media`, the kept copies on the disk)."""
    say = (terminal or Terminal()).say
    dest = to or Path(default_name())
    db = await open_database(settings.database_path, settings.database_url, upto=0)
    try:
        version, known = await db.schema_version(), known_version()
        if version != known:
            say(_(
                "backup: FAILED (the database is at schema version {version}, this luma-bot's is {known}: back it up "
                "with the luma-bot that uses it)"
            ).format(version=version, known=known))  # fmt: skip
            return EXIT_FAILED
        made = await write_backup(db, dest, media_dir=settings.media_path if media else None)
    finally:
        await db.close()
    rows = sum(made.counts.values())
    say(_("backup: OK ({rows} rows in {tables} tables, schema version {version}, {size}) in {file}").format(
        rows=rows, tables=len(made.counts), version=made.schema_version, size=size(dest.stat().st_size), file=dest
    ))  # fmt: skip
    return 0


def _reason(exc: ArchiveError) -> str:
    sentences = {
        "damaged": _("the archive is damaged or cut short ({detail}): nothing was written"),
        "tampered": _("the archive was changed after it was made ({detail}): nothing was written"),
        "newer": _(
            "the archive was made by a newer luma-bot (schema version {detail}): install that version to restore it"
        ),
        "version": _(
            "the database to restore into is at another schema version ({detail}): restore into an empty database"
        ),
        "format": _("the archive is of a layout this luma-bot does not know ({detail}): nothing was written"),
        "running": _("a luma-bot is running on this database (pid {detail}): stop it first"),
        "target": _(
            "the database to restore into is not empty ({detail}): point DATABASE_PATH or DATABASE_URL at an empty "
            "one, or add --force to replace what it holds"
        ),
    }
    return sentences.get(exc.reason, str(exc)).format(detail=exc.detail)


async def restore(settings: Settings, source: Path, *, force: bool, terminal: Terminal | None = None) -> int:
    """Check the archive whole, then put it back and verify it as migrate-db does."""
    say = (terminal or Terminal()).say
    try:
        found = read_backup(source, known_version())
        report = await restore_backup(found, settings, force=force)
    except ArchiveError as exc:
        say(_("restore: FAILED ({reason})").format(reason=_reason(exc)))
        return EXIT_FAILED
    except TransferError as exc:
        say(_("restore: FAILED ({reason})").format(reason=str(exc)))
        return EXIT_FAILED
    say(_(
        "restore: OK ({rows} rows in {tables} tables, every count verified; {files} kept files; made {when})"
    ).format(rows=report.rows, tables=len(report.counts), files=len(found.media), when=found.created_at))  # fmt: skip
    return 0
