"""`luma-bot` (also `python -m bot`): setup, invite, try, run, sync, check, migrate-db, migrate-media, fake-luma."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.config import Settings, SettingsError
from bot.extras import MissingExtra, needs_extra
from bot.i18n import speaking
from bot.logs import configure_logging, raise_open_file_limit
from bot.owner.terminal import terminal_locale

__all__ = ["main"]

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="luma-bot", description="A Discord bot that makes videos with Luma.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="set the bot up in this folder: asks for the tokens, checks them, writes .env")
    sub.add_parser("invite", help="print the link that adds the bot to a server")
    trial = sub.add_parser("try", help="make one real video from the terminal (spends one credit)")
    trial.add_argument("prompt", help="what should happen in the video")
    trial.add_argument("--yes", action="store_true", help="do not ask before spending the credit")
    trial.add_argument("--record", type=Path, default=None, metavar="FILE", help="write the exchange with the API")
    trial.add_argument("--out", type=Path, default=Path("."), metavar="DIR", help="where to save the video")
    trial.add_argument("--aspect-ratio", default=None, help="16:9 (default), 9:16, 1:1, 4:3, 3:4, 21:9 or 9:21")
    run = sub.add_parser("run", help="run the bot")
    run.add_argument(
        "--standby",
        action="store_true",
        help="PostgreSQL: wait for the database and take over when the bot on it stops",
    )
    sync = sub.add_parser("sync", help="register the slash commands with Discord")
    sync.add_argument("--guild", type=int, default=None, help="sync to one guild only (instant)")
    sub.add_parser("check", help="check the settings, the database and the API token")
    move = sub.add_parser("migrate-db", help="copy this bot's SQLite database into an empty PostgreSQL one")
    move.add_argument("--to", required=True, metavar="postgresql://…", help="the PostgreSQL database to fill")
    sub.add_parser("migrate-media", help="move the copies kept in MEDIA_DIR into the bucket of MEDIA_S3_BUCKET")
    backup = sub.add_parser("backup", help="write one consistent archive of the database, while the bot runs")
    backup.add_argument("--to", type=Path, help="the archive to write (default: luma-bot-backup-<time>.tar.gz here)")
    backup.add_argument("--media", action="store_true", help="the copies kept in MEDIA_DIR too")
    restore = sub.add_parser("restore", help="put a backup back into an empty database, checked first")
    restore.add_argument("file", type=Path, help="the archive `luma-bot backup` wrote")
    restore.add_argument("--force", action="store_true", help="replace what the database holds")
    fake = sub.add_parser("fake-luma", help="run a fake Luma API for trying the bot without credits")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=8787)
    fake.add_argument("--token", default=None, help="the token it accepts (default: ACEDATACLOUD_API_TOKEN)")
    fake.add_argument("--delay", type=float, default=20.0, help="seconds before a task finishes")
    fake.add_argument(
        "--max-in-flight", type=int, default=5, help="tasks one token may have in flight (more get HTTP 429)"
    )
    fake.add_argument(
        "--video-bytes", type=int, default=None, help="serve result videos of this size (to try Discord's file limits)"
    )
    return parser


def _settings(*required: str) -> Settings:
    settings = Settings.from_env()
    settings.require(*required)
    return settings


async def _invite(settings: Settings) -> int:
    """The link that adds this bot to a server, with exactly the permissions it uses."""
    from aiohttp import ClientError

    from bot.i18n import _
    from bot.owner.application import TokenRefused, application_id_of, invite_link, read_application

    assert settings.discord_token is not None
    token = settings.discord_token.get()
    try:
        app_id: int | None = (await read_application(token, settings.discord_api_base)).id
    except TokenRefused:
        print(_("Discord refused DISCORD_TOKEN: reset it in the Developer Portal (Bot page)."), file=sys.stderr)
        return 1
    except (ClientError, TimeoutError):
        app_id = application_id_of(token)  # Discord cannot be asked: the token names its application
    if app_id is None:
        print(_("DISCORD_TOKEN is not a bot token."), file=sys.stderr)
        return 2
    print(invite_link(app_id))
    return 0


def _no_sqlite_file(settings: Settings) -> bool:
    """True (and said) when DATABASE_PATH names no file: a command that reads the database has nothing to read."""
    if settings.database_path.is_file():
        return False
    print(f"luma-bot: there is no SQLite database at {settings.database_path} (DATABASE_PATH)", file=sys.stderr)
    return True


async def _migrate_db(settings: Settings, url: str) -> int:
    """Copy DATABASE_PATH into the PostgreSQL database at `url`, verify the counts; exit 2 when it cannot."""
    from bot.store import Database
    from bot.store.db import SchemaTooNew

    PostgresDatabase = needs_extra("postgres", "bot.store.postgres", "migrate-db --to").PostgresDatabase
    from bot.store.transfer import TransferError, copy_database

    if not url.startswith(("postgresql://", "postgres://")):
        print("luma-bot: --to is not a postgresql:// URL", file=sys.stderr)
        return EXIT_CONFIG
    if _no_sqlite_file(settings):
        return EXIT_CONFIG
    try:
        source = await Database.open(settings.database_path)
    except SchemaTooNew as exc:
        print(f"luma-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        target = await PostgresDatabase.open(url)
    except SchemaTooNew as exc:
        await source.close()
        print(f"luma-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except Exception as exc:
        await source.close()
        print(f"luma-bot: the PostgreSQL database cannot be opened ({type(exc).__name__})", file=sys.stderr)
        return EXIT_CONFIG
    try:
        report = await copy_database(source, target)
    except TransferError as exc:
        print(f"luma-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        await source.close()
        await target.close()
    for table, count in report.counts.items():
        print(f"{table}: {count} rows")
    print(f"migrate-db: OK ({report.rows} rows in {len(report.counts)} tables, every count verified)")
    print("now set DATABASE_URL to that database and start the bot; keep the SQLite file until you are satisfied")
    return 0


async def _migrate_media(settings: Settings) -> int:
    """Upload the copies kept on the disk into MEDIA_S3_BUCKET and point their rows at it."""
    from bot.media import S3Place, ShelfError, open_shelf
    from bot.media.moving import move_to_shelf
    from bot.store import MediaStore
    from bot.store.opening import open_database

    place = S3Place.from_settings(settings)
    if place is None:
        print("luma-bot: migrate-media moves the kept copies into MEDIA_S3_BUCKET: set it first", file=sys.stderr)
        return EXIT_CONFIG
    if not settings.database_url and _no_sqlite_file(settings):
        return EXIT_CONFIG
    try:
        shelf = await open_shelf(settings)
    except ShelfError as exc:
        print(f"luma-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    db = await open_database(settings.database_path, settings.database_url)
    try:
        report = await move_to_shelf(MediaStore(db), shelf)
    finally:
        await shelf.close()
        await db.close()
    print(f"migrate-media: {report.moved} copies moved ({report.bytes / 1048576:.1f} MiB) into the {place}")
    if report.missing:
        print(
            f"{len(report.missing)} kept copies were no longer on the disk: left as they were (their links lead"
            " to the Discord message or the API's link)"
        )
    for failure in report.failed[:10]:
        print(f"not moved: {failure}")
    if report.failed:
        print(f"{len(report.failed)} not moved: run migrate-media again to move the rest")
        return 1
    print(f"the files stay in {settings.media_path}: remove them once the bot serves its copies from the bucket")
    return 0


def _fake_luma(args: argparse.Namespace) -> int:
    from bot.luma.fake import serve

    token = args.token or Settings.from_env().api_token
    token_text = token.get() if hasattr(token, "get") else token
    if not token_text:
        print("fake-luma needs a token: pass --token or set ACEDATACLOUD_API_TOKEN (see .env.example)", file=sys.stderr)
        return EXIT_CONFIG
    try:
        asyncio.run(serve(args.host, args.port, str(token_text), args.delay, args.max_in_flight, args.video_bytes))
    except KeyboardInterrupt:
        pass
    return 0


def _setup(args: argparse.Namespace) -> int:
    from bot.owner.setup import setup

    with speaking(terminal_locale()):
        return asyncio.run(setup(Path(".env").absolute()))


def _invite_command(args: argparse.Namespace) -> int:
    with speaking(terminal_locale()):
        return asyncio.run(_invite(_settings("discord_token")))


def _try(args: argparse.Namespace) -> int:
    from bot.owner.trial import trial

    settings = _settings("api_token")
    with speaking(terminal_locale()):
        return asyncio.run(
            trial(settings, args.prompt, yes=args.yes, record=args.record, out_dir=args.out,
                  aspect_ratio=args.aspect_ratio)
        )  # fmt: skip


def _check(args: argparse.Namespace) -> int:
    settings = _settings("discord_token", "api_token")
    from bot.owner.check import check

    with speaking(terminal_locale()):
        return asyncio.run(check(settings))


def _sync(args: argparse.Namespace) -> int:
    settings = _settings("discord_token")
    from bot.app.running import sync_commands

    configure_logging(settings.log_level, settings.log_format, settings.log_levels)
    return asyncio.run(sync_commands(settings, args.guild))


def _run(args: argparse.Namespace) -> int:
    settings = _settings("discord_token", "api_token")
    if args.standby:
        if not settings.database_url:
            print(
                "luma-bot: --standby needs DATABASE_URL: a standby shares the database over PostgreSQL", file=sys.stderr
            )
            return EXIT_CONFIG
        settings = dataclasses.replace(settings, standby=True)
    from bot.app.running import run_bot

    configure_logging(settings.log_level, settings.log_format, settings.log_levels)
    raise_open_file_limit()
    return run_bot(settings)


def _backup(args: argparse.Namespace) -> int:
    from bot.owner.backups import backup

    settings = _settings()
    with speaking(terminal_locale()):
        return asyncio.run(backup(settings, args.to, media=args.media))


def _restore(args: argparse.Namespace) -> int:
    from bot.owner.backups import restore

    settings = _settings()
    with speaking(terminal_locale()):
        return asyncio.run(restore(settings, args.file, force=args.force))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "backup": _backup,
    "restore": _restore,
    "fake-luma": _fake_luma,
    "migrate-db": lambda args: asyncio.run(_migrate_db(_settings(), args.to)),
    "migrate-media": lambda args: asyncio.run(_migrate_media(_settings())),
    "setup": _setup,
    "invite": _invite_command,
    "try": _try,
    "check": _check,
    "sync": _sync,
    "run": _run,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = COMMANDS.get(args.command)
    if command is None:
        return 0
    try:
        return command(args)
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"luma-bot: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except MissingExtra as exc:
        print(f"luma-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
