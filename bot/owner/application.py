"""The owner's Discord application, read over REST with the bot's token, and the link that invites the bot."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import discord

from bot.delivery.reach import PERMISSION_NAMES

__all__ = [
    "GATEWAY_MESSAGE_CONTENT",
    "INVITE_PERMISSIONS",
    "Application",
    "TokenRefused",
    "application_id_of",
    "invite_link",
    "read_application",
]

DISCORD_API = "https://discord.com/api/v10"
SCOPES = ("bot", "applications.commands")
GATEWAY_MESSAGE_CONTENT = 1 << 18  # application.mdx, Application Flags (the intent switched on in the Portal)
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19  # the same for an app that is not verified (in under 100 servers)
# exactly what the bot does in a channel: the permissions bot/delivery/reach.py looks for before it acts
INVITE_PERMISSIONS = discord.Permissions(**dict.fromkeys(PERMISSION_NAMES, True))


class TokenRefused(Exception):
    """Discord refused the bot token (the HTTP status in the message)."""


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    name: str
    bot_name: str
    message_content: bool  # the Message Content intent is switched on in the Developer Portal
    public: bool  # Public Bot: anyone may add it to their server (and spend the owner's credits)


async def read_application(token: str, api_base: str | None = None) -> Application:
    """The application behind a bot token (GET /users/@me and /oauth2/applications/@me). Raises TokenRefused, or
    aiohttp's errors when Discord cannot be reached."""
    base = (api_base or DISCORD_API).rstrip("/")
    headers = {"Authorization": f"Bot {token}"}
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as http:
        async with http.get(f"{base}/users/@me") as response:
            if response.status != 200:
                raise TokenRefused(str(response.status))
            user = await response.json()
        async with http.get(f"{base}/oauth2/applications/@me") as response:
            if response.status != 200:
                raise TokenRefused(str(response.status))
            app = await response.json()
    flags = int(app.get("flags") or 0)
    return Application(
        id=int(app["id"]),
        name=str(app.get("name") or user.get("username") or "?"),
        bot_name=str(user.get("username") or "?"),
        message_content=bool(flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED)),
        public=bool(app.get("bot_public", True)),
    )


def application_id_of(token: str) -> int | None:
    """A bot token begins with its user's id in base64, which is the application's id: the link can be made even
    when Discord cannot be asked."""
    head = token.split(".", 1)[0]
    try:
        return int(base64.b64decode(head + "=" * (-len(head) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        return None


def invite_link(application_id: int) -> str:
    """Add the bot to a server (integration_type 0: a server install), with the commands and exactly the
    permissions it uses."""
    query = {
        "client_id": application_id,
        "scope": " ".join(SCOPES),  # i18n: not text (OAuth2 scopes)
        "permissions": INVITE_PERMISSIONS.value,
        "integration_type": 0,
    }
    return "https://discord.com/oauth2/authorize?" + urlencode(query).replace("%20", "+")
