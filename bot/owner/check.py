"""`luma-bot check`: one line per thing the bot needs, OK or FAILED with what to do; exit 1 on a failure."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from bot.config import Settings
from bot.i18n import _, clauses, listing, ngettext, size
from bot.luma import LumaClient
from bot.media import S3Place, ShelfError, open_shelf
from bot.store import GuildStore, JobStore, MediaStore
from bot.store.opening import known_version, open_database

from .access import access_problems
from .application import TokenRefused, read_application
from .terminal import Terminal

__all__ = ["check", "check_discord", "check_luma"]


def _schema_differs(version: int, known: int, say: Say) -> bool:
    """A migration pending (said, not a failure), or a database a newer luma-bot used (a failure)."""
    if version > known:
        say(_(
            "database: FAILED (schema version {version} is newer than this luma-bot's {known}: a newer luma-bot used "
            "it; install that version again, or restore the backup taken before the upgrade)"
        ).format(version=version, known=known))  # fmt: skip
        return False
    say(_(
        "database: a migration is pending (schema version {version}; this luma-bot's is {known}): back up, then "
        "`luma-bot run` applies it (README, Upgrading)"
    ).format(version=version, known=known))  # fmt: skip
    return True


Say = Callable[[str], None]


async def check(settings: Settings, terminal: Terminal | None = None) -> int:
    """One line per check; non-zero when any fails."""
    from bot.extras import MissingExtra

    say = (terminal or Terminal()).say
    mode = (
        _("callbacks to {url}").format(url=settings.public_base_url) if settings.public_base_url else _("polling mode")
    )
    say(_("settings: OK (API {api}, database {database}, {mode})").format(
        api=settings.api_base, database=settings.database_name, mode=mode
    ))  # fmt: skip
    ok = await _check_database(settings, say)
    if settings.media_s3_bucket:
        try:
            await (await open_shelf(settings)).close()
            say(_("media bucket: OK (it answers)"))
        except (ShelfError, MissingExtra) as exc:
            ok = False
            say(_("media bucket: FAILED ({detail})").format(detail=exc))
    assert settings.api_token is not None and settings.discord_token is not None
    ok = await check_discord(settings, say) and ok
    ok = await check_luma(settings, say) and ok
    return 0 if ok else 1


async def _check_database(settings: Settings, say: Say) -> bool:
    """The database as it is: `check` never migrates it (an upgrade is the owner's step: README, Upgrading)."""
    known = known_version()
    try:
        db = await open_database(settings.database_path, settings.database_url, upto=0)
        version = await db.schema_version()
        if version == 0:  # a new database: nothing in it to upgrade, so it is set up as `run` would
            await db.close()
            db = await open_database(settings.database_path, settings.database_url)
            version = await db.schema_version()
        if version != known:
            await db.close()
            return _schema_differs(version, known, say)
        waiting, rendering = await JobStore(db).line_counts()
        files, used = await MediaStore(db).usage()
        problems = await GuildStore(db).problems()
        await db.close()
    except Exception as exc:
        say(_("database: FAILED ({detail})").format(detail=repr(exc)))
        return False
    say(_("database: OK (schema version {version}; {rendering} jobs rendering, {waiting} waiting in line)").format(
        version=version, rendering=rendering, waiting=waiting
    ))  # fmt: skip
    where = S3Place.from_settings(settings) or settings.media_path
    say(_("media: {files} files kept, {size} in {where}").format(files=files, size=size(used), where=where))
    for problem in problems:  # noticed by the running bot, cleared once a post there works in full
        what = {"mod_log": _("the mod log"), "showcase": _("the showcase")}.get(problem.purpose) or _("results")
        say(_(
            "warning: in channel {channel} of server {server} the bot lacks {permissions}, so {what} cannot be posted "
            "there in full (noticed {when} UTC)"
        ).format(
            channel=problem.channel_id, server=problem.guild_id, permissions=listing(list(problem.missing)), what=what,
            when=f"{problem.noticed_at:%Y-%m-%d %H:%M}",
        ))  # fmt: skip
    return True


async def check_discord(settings: Settings, say: Say) -> bool:
    """The bot token, and what the Developer Portal says of the application."""
    assert settings.discord_token is not None
    try:
        app = await read_application(settings.discord_token.get(), settings.discord_api_base)
    except TokenRefused as exc:
        say(_(
            "Discord token: FAILED (Discord refused DISCORD_TOKEN with HTTP {status}; reset it in the Developer "
            "Portal, Bot page)"
        ).format(status=exc))  # fmt: skip
        return False
    except (aiohttp.ClientError, TimeoutError) as exc:
        say(_("Discord token: FAILED (Discord could not be reached: {detail})").format(detail=type(exc).__name__))
        return False
    say(_("Discord token: OK (the bot is {name})").format(name=app.bot_name))
    if settings.message_content_intent and not app.message_content:
        say(_(
            "warning: MESSAGE_CONTENT_INTENT=true but the Message Content intent is off in the Developer Portal (Bot "
            "page): switch it on there, or the bot will not start"
        ))  # fmt: skip
    if app.public and settings.allowed_guilds:
        count = len(settings.allowed_guilds)
        say(ngettext(
            "note: Public Bot is on in the Developer Portal (Bot page), but ALLOWED_GUILDS keeps the bot to {n} "
            "server: it leaves any other it is added to",
            "note: Public Bot is on in the Developer Portal (Bot page), but ALLOWED_GUILDS keeps the bot to {n} "
            "servers: it leaves any other it is added to",
            count,
        ).format(n=count))  # fmt: skip
    elif app.public:
        say(_(
            "warning: Public Bot is on in the Developer Portal (Bot page): anyone can add your bot to their server and "
            "make videos on your credits. Switch it off unless you mean to share it, or list your servers in "
            "ALLOWED_GUILDS"
        ))  # fmt: skip
    return True


async def check_luma(settings: Settings, say: Say) -> bool:
    """The AceDataCloud token: it may read tasks and create videos (checked without spending a credit)."""
    assert settings.api_token is not None
    async with aiohttp.ClientSession() as session:
        access = await LumaClient(session, settings.api_base, settings.api_token).check_access()
    problems = access_problems(access)
    if problems:
        say(_("Luma API token: FAILED ({problems})").format(problems=clauses(*problems)))
        return False
    say(_("Luma API token: OK (it may read tasks and create videos; checked without spending a credit)"))
    return True
