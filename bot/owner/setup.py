"""`luma-bot setup`: the owner's first hour in one sitting, in a terminal (as Red-DiscordBot's redbot-setup is).

It asks for the Discord bot token and checks it (the application's name and id; whether the Message Content intent
is on; whether anyone may add the bot), for the AceDataCloud token and checks it as `check` does (it may read tasks
and create videos, without spending a credit), for a public address or polling; writes .env (mode 0600, every other
line kept; a token is never echoed nor printed); prints the invite link; ends with `luma-bot check`. Run it again
any time: Enter keeps what .env already has.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from bot.config import Settings, load_dotenv_file
from bot.i18n import _, clauses
from bot.luma import LumaClient

from .access import access_problems
from .application import Application, TokenRefused, invite_link, read_application
from .check import check
from .envfile import write_env
from .terminal import Terminal

__all__ = ["setup"]


async def setup(env_path: Path = Path(".env"), terminal: Terminal | None = None) -> int:
    term = terminal or Terminal()
    if not term.interactive():
        print(
            _(
                "luma-bot setup asks its questions in a terminal. Run it in one, or copy .env.example to .env and "
                "fill it in by hand (README › Set up and run)."
            ),
            file=sys.stderr,
        )
        return 2
    current = load_dotenv_file(env_path)
    base = Settings.from_env(dotenv=env_path)  # the addresses (and, in tests, a Discord-compatible server)
    term.say(_("luma-bot setup: three questions, each answer checked; it writes {path} (readable by you only).").format(
        path=env_path
    ))  # fmt: skip
    term.say(_("Press Enter to keep what the file already has; Ctrl+C stops without writing anything."))
    term.say()

    discord_token, app = await _discord(term, base, current.get("DISCORD_TOKEN"))
    if app is None:
        return 1
    values = {"DISCORD_TOKEN": discord_token}
    values["MESSAGE_CONTENT_INTENT"] = "true" if await _intent(term, app) else "false"
    term.say()
    api_token = await _acedatacloud(term, base, current.get("ACEDATACLOUD_API_TOKEN"))
    if api_token is None:
        return 1
    values["ACEDATACLOUD_API_TOKEN"] = api_token
    term.say()
    values["PUBLIC_BASE_URL"] = _public_address(term, base, current.get("PUBLIC_BASE_URL", ""))

    write_env(env_path, values)
    term.say()
    term.say(_("✓ Wrote {path} (readable by you only).").format(path=env_path))
    term.say(_("Invite the bot to your server with this link (it asks for exactly the permissions the bot uses):"))
    term.say(invite_link(app.id))
    term.say()
    term.say(_("Checking everything once more (luma-bot check):"))
    code = await check(Settings.from_env(dotenv=env_path), term)
    term.say()
    if code == 0:
        term.say(_("All set. Start the bot with: luma-bot run"))
    else:
        term.say(_("Fix what failed above, then run luma-bot setup again (Enter keeps your answers)."))
    return code


async def _discord(term: Terminal, base: Settings, kept: str | None) -> tuple[str, Application | None]:
    """Ask for the bot token until Discord accepts it; the application it belongs to."""
    while True:
        typed = term.ask_secret(_("Discord bot token (Developer Portal › your application › Bot › Reset Token)"),
                                keep=bool(kept))  # fmt: skip
        token = typed or kept or ""
        try:
            app = await read_application(token, base.discord_api_base)
        except TokenRefused:
            term.say(_("✗ Discord refused this token. Copy it again (Bot › Reset Token) and paste the whole of it."))
            kept = None
            continue
        except (aiohttp.ClientError, TimeoutError) as exc:
            term.say(_("✗ Discord could not be reached ({detail}).").format(detail=type(exc).__name__))
            if term.yes(_("Try again?"), default=True):
                continue
            return token, None
        term.say(_("✓ Discord application: {name} (id {id}); the bot is {bot}.").format(
            name=app.name, id=app.id, bot=app.bot_name
        ))  # fmt: skip
        if app.public:
            term.say(_(
                "⚠ Public Bot is on (Developer Portal › Bot): anyone can add your bot to their server and make videos "
                "on your credits. Switch it off unless you mean to share it."
            ))  # fmt: skip
        return token, app


async def _intent(term: Terminal, app: Application) -> bool:
    if not app.message_content:
        term.say(_(
            "The Message Content intent is off (the default). Everything works without it; a reply to a video "
            "extends it when the reply mentions the bot (Discord's default for replies)."
        ))  # fmt: skip
        return False
    return term.yes(
        _("The Message Content intent is on. Let a plain reply to a video extend it, without mentioning the bot?"),
        default=True,
    )


async def _acedatacloud(term: Terminal, base: Settings, kept: str | None) -> str | None:
    """Ask for the API token until it may read tasks and create videos (checked without spending a credit)."""
    while True:
        typed = term.ask_secret(_("AceDataCloud API token (platform.acedata.cloud › Luma › Credentials)"),
                                keep=bool(kept))  # fmt: skip
        token = typed or kept or ""
        async with aiohttp.ClientSession() as session:
            access = await LumaClient(session, base.api_base, token).check_access()
        problems = access_problems(access)
        if not problems:
            term.say(_("✓ The token may read tasks and create videos (checked without spending a credit)."))
            return token
        term.say(_("✗ {problems}").format(problems=clauses(*problems)))
        unreachable = any(e is not None and e.kind == "network" for e in (access.reading, access.creating))
        if unreachable and not term.yes(_("Try again?"), default=True):
            return None
        kept = None if not unreachable else kept


def _public_address(term: Terminal, base: Settings, kept: str) -> str:
    def valid(answer: str) -> str | None:
        parts = urlsplit(answer)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return _("That is not an http(s) address: for example https://bot.example.com")
        return None

    term.say(_(
        "With a public https address that reaches this machine's web port ({port}), Luma calls the bot back the moment "
        "a video is ready. Without one, the bot asks Luma every few seconds (polling): nothing else to set up."
    ).format(port=base.web_port))  # fmt: skip
    answer = term.ask(_("Public address (Enter: none, poll Luma)"), default=kept, check=valid)
    if answer.startswith("http://") and urlsplit(answer).hostname not in ("localhost", "127.0.0.1"):
        term.say(_("⚠ An http:// address sends Luma's results unencrypted: use https behind a proxy (README)."))
    return answer.rstrip("/")
