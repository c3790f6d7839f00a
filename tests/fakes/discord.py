"""A fake Discord on 127.0.0.1: the gateway websocket and the REST routes discord.py uses.

An unmodified discord.py client connects to it through `DISCORD_API_BASE` / `DISCORD_GATEWAY_URL`.
Tests dispatch interactions and messages through the gateway and assert on what the bot sent,
which the fake records and validates like Discord: the 3-second initial-response deadline (10062),
one initial response (40060), 15-minute interaction tokens (50027), length limits (50035), unknown
messages and channels (10008, 10003), missing permissions (50013), DMs refused (50007), and 429s
with retry_after on demand.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import mimetypes
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.web.serving import start_app

from .discord_files import MIB, TooLarge, Upload, attachment, check_uploads, parse_multipart, refresh_urls
from .discord_limits import InvalidForm, check_choices, check_commands, check_message, check_modal
from .discord_permissions import (
    ADD_REACTIONS,
    ATTACH_FILES,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    DEFAULT_PERMISSIONS,
    EMBED_LINKS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MANAGE_THREADS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    apply_overwrites,
    base_permissions,
)

__all__ = [
    "ADD_REACTIONS",
    "ATTACH_FILES",
    "EMBED_LINKS",
    "MANAGE_GUILD",
    "READ_MESSAGE_HISTORY",
    "SEND_MESSAGES",
    "VIEW_CHANNEL",
    "FakeDiscord",
    "Interaction",
    "NotOffered",
]

API = "/api/v10"
CDN_PATH = "/cdn"  # the fake serves the files members upload here (its attachments' URLs point at it)
MESSAGE_CONTENT = 1 << 15
GUILD_MESSAGE_REACTIONS = 1 << 10  # events/gateway.mdx, Gateway Intents: MESSAGE_REACTION_ADD, _REMOVE, _REMOVE_ALL, …
GATEWAY_MESSAGE_CONTENT = 1 << 18  # application flags: the Message Content intent switched on in the Portal
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19  # (the _LIMITED one for an unverified app in under 100 servers)
NONCE_WINDOW = 120.0  # "the past few minutes": the fake keeps the least a bot could count on
REQUEST_LIMIT = 25 * MIB  # message.mdx, Create Message: "The maximum request size when sending a message is 25 MiB"
TIER_FILE_LIMIT = {0: 10 * MIB, 1: 10 * MIB, 2: 50 * MIB, 3: 100 * MIB}  # by the guild's boost tier
DEADLINE = 3.0
# a real 1×1 PNG: what a member's uploaded picture starts with (the fake's CDN serves it)
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
GUILDS_PER_SHARD = 2500  # Discord closes a shard holding more with 4011 "Sharding required"
TOKEN_TTL = 15 * 60


def _snowflakes() -> itertools.count[int]:
    # Discord snowflakes for "now" (ms since 2015) shifted into place, so created_at is sensible
    return itertools.count(int(time.time() * 1000 - 1420070400000) << 22)


@dataclass
class Interaction:
    id: int
    token: str
    kind: int
    payload: dict[str, Any]
    created: float  # on the fake's clock
    channel_id: int
    user_id: int
    responded: bool = False
    response_type: int | None = None
    response_at: float | None = None
    original_message_id: int | None = None
    response_data: dict[str, Any] = field(default_factory=dict)
    responded_event: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    at: float
    status: int = 0
    query: dict[str, str] = field(default_factory=dict)
    uploads: list[Upload] = field(default_factory=list)


class _Error(Exception):
    def __init__(self, status: int, code: int, message: str, errors: Any = None) -> None:
        self.status, self.code, self.message, self.errors = status, code, message, errors


class NotOffered(Exception):
    """Discord would not offer this command there, so no member could invoke it (no interaction is sent)."""


MISSING_ACCESS = (403, 50001, "Missing Access")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")


class FakeDiscord:
    def __init__(self, *, token: str = "fake-bot-token", bot_name: str = "Luma") -> None:
        self.token = token
        self._ids = _snowflakes()
        self.application_id = next(self._ids)
        self.bot_user = self._user(self.application_id, bot_name, bot=True)
        self.owner = self._user(next(self._ids), "owner")
        self.users: dict[int, dict[str, Any]] = {
            int(self.bot_user["id"]): self.bot_user,
            int(self.owner["id"]): self.owner,
        }
        self.guilds: dict[int, dict[str, Any]] = {}
        self.members: dict[tuple[int, int], dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.interactions: dict[str, Interaction] = {}
        self.requests: list[Recorded] = []
        self.left_guilds: list[int] = []  # the servers the bot left (Leave Guild)
        self._background: set[asyncio.Task[Any]] = set()
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global) -> commands
        self.forbidden_channels: set[int] = set()
        self.user_locales: dict[int, str] = {}
        # the Developer Portal's switch for the privileged Message Content intent: off for a new application
        self.message_content_allowed = False
        self.bot_public = True  # Portal › Bot › Public Bot: anyone may add the bot to their server (the default)
        self.user_install = False  # Portal › Installation › User Install: members may add the app to their account
        self.notifications: list[tuple[int, int]] = []  # (user, message) a new message pinged
        self._nonces: dict[str, tuple[int, float]] = {}  # the bot's nonces: (message, when)
        self.files: dict[str, bytes] = {}  # what members uploaded, served at CDN_PATH by its attachment path
        self.gateway_down = False
        self._failures: list[tuple[str, re.Pattern[str], int, int, str]] = []
        # Discord's invalid-request rule: 401, 403 and 429 count against the bot (10,000 per 10 minutes), and
        # a webhook (an interaction token's messages) that answered 404 must not be used again
        self.invalid_requests = 0
        self.violations: list[str] = []
        self._webhook_404: set[str] = set()
        self.dm_closed: set[int] = set()
        self.reactions: list[tuple[int, int, str]] = []  # the bot's own (Create Reaction)
        self.reacted: dict[tuple[int, str], list[int]] = {}  # (message, emoji) -> the members who reacted, in order
        self.clock_offset = 0.0
        self.identify: dict[str, Any] | None = None
        self.ready = asyncio.Event()
        self._rate_limits: list[tuple[str, re.Pattern[str], float]] = []
        self._shards: dict[int, web.WebSocketResponse] = {}  # shard id -> its gateway connection
        self.shard_count = 1  # what the connected bot identified with
        self.recommended_shards = 1  # what GET /gateway/bot recommends
        self.max_concurrency = 1  # shards that may identify per 5 s (large bots: 16)
        self.identified: list[list[int]] = []  # every IDENTIFY's [shard_id, num_shards]
        self._ready_shards: set[int] = set()
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._events: list[tuple[str, dict[str, Any]]] = []
        self._changed = asyncio.Condition()

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeDiscord:
        # the largest upload Discord takes (a tier 3 guild's 100 MiB) and the message around it
        app = web.Application(client_max_size=101 * MIB, middlewares=[self._middleware])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get(CDN_PATH + "/{path:.*}", self._cdn)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner, self.port = await start_app(app, "127.0.0.1", port)
        return self

    async def drop_gateway(self) -> None:
        """Discord goes away: the connection closes and reconnects are refused until `gateway_down` is False."""
        self.gateway_down = True
        for ws in list(self._shards.values()):
            await ws.close(code=1011, message=b"gone")

    async def stop(self) -> None:
        for ws in list(self._shards.values()):
            with contextlib.suppress(Exception):
                await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def cdn_base(self) -> str:
        """Where this Discord's attachments live (Discord's is https://cdn.discordapp.com)."""
        return f"http://127.0.0.1:{self.port}{CDN_PATH}"

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        """Discord's CDN for the files members uploaded: the bytes while the file exists and its signed link has not
        expired (reference.mdx, "Signed Attachment CDN URLs"); 404 once an ephemeral attachment is removed."""
        path = "/" + request.match_info["path"]
        data = self.files.get(path)
        expires = request.query.get("ex")
        if data is None or expires is None or int(expires, 16) < time.time():
            return web.Response(status=404, text="This content is no longer available.")
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return web.Response(body=data, headers={"Content-Type": kind})

    def now(self) -> float:
        return time.monotonic() + self.clock_offset

    # --- world building -------------------------------------------------------------------------

    @staticmethod
    def _user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
            "flags": 0,
        }

    def add_guild(
        self, name: str = "Test Guild", channels: int = 2, premium_tier: int = 0, locale: str = "en-US"
    ) -> int:
        # each guild a millisecond apart in its snowflake: guilds spread over shards as Discord's do
        guild_id = next(self._ids) + ((len(self.guilds) + 1) << 22)
        everyone = {
            "id": str(guild_id),
            "name": "@everyone",
            "permissions": str(DEFAULT_PERMISSIONS),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        self.guilds[guild_id] = {
            "id": str(guild_id),
            "name": name,
            "owner_id": self.owner["id"],
            "roles": [everyone],
            "channel_ids": [],
            "premium_tier": premium_tier,
            "locale": locale,  # the server's Community locale: preferred_locale, and guild_locale in interactions
        }
        for i in range(channels):
            self.add_channel(guild_id, f"channel-{i}")
        # guild.mdx: system_channel_id, "where guild notices such as welcome messages … are posted": a new server's
        # first text channel
        self.guilds[guild_id]["system_channel_id"] = self.guilds[guild_id]["channel_ids"][0] if channels else None
        self.add_member(guild_id, int(self.bot_user["id"]))
        return guild_id

    async def bot_added(self, guild_id: int) -> None:
        """Someone adds the bot to a server (`add_guild` after it connected): GUILD_CREATE on its shard, without
        `unavailable` (the field marks a server coming back from an outage or lazily loaded after READY; discord.py's
        state.py parse_guild_create dispatches on_guild_join only for a payload without it)."""
        payload = self.guild_payload(guild_id)
        del payload["unavailable"]
        await self.dispatch("GUILD_CREATE", payload)

    def bot_is_in(self, guild_id: int) -> bool:
        return (guild_id, int(self.bot_user["id"])) in self.members

    def add_channel(self, guild_id: int, name: str) -> int:
        channel_id = next(self._ids)
        self.channels[channel_id] = {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id),
            "name": name,
            "position": len(self.guilds[guild_id]["channel_ids"]),
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }
        self.guilds[guild_id]["channel_ids"].append(channel_id)
        return channel_id

    def add_role(self, guild_id: int, name: str, permissions: int = 0) -> int:
        role_id = next(self._ids)
        self.guilds[guild_id]["roles"].append(
            {
                "id": str(role_id),
                "name": name,
                "permissions": str(permissions),
                "position": len(self.guilds[guild_id]["roles"]),
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": True,
                "flags": 0,
            }
        )
        return role_id

    async def create_role(self, guild_id: int, name: str, permissions: int = 0) -> int:
        """A role made while the bot is connected: Discord tells it with GUILD_ROLE_CREATE."""
        role_id = self.add_role(guild_id, name, permissions)
        role = next(r for r in self.guilds[guild_id]["roles"] if r["id"] == str(role_id))
        await self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role})
        return role_id

    def add_user(self, name: str, locale: str = "en-US", *, bot: bool = False) -> int:
        """A user (another application's bot with `bot`); `locale` is their Discord client's language, sent as every
        interaction's `locale`."""
        user_id = next(self._ids)
        self.users[user_id] = self._user(user_id, name, bot=bot)
        self.user_locales[user_id] = locale
        return user_id

    def add_guild_with_members(self, name: str, members: int, channels: int = 2) -> tuple[int, int, list[int]]:
        """A server with `members` members besides the bot: (its id, its first channel, the members' ids)."""
        guild = self.add_guild(name, channels=channels)
        users = [self.add_user(f"{name}-{i}") for i in range(members)]
        for user in users:
            self.add_member(guild, user)
        return guild, self.guilds[guild]["channel_ids"][0], users

    def add_member(self, guild_id: int, user_id: int, roles: list[int] | None = None) -> None:
        self.members[(guild_id, user_id)] = {
            "user": self.users[user_id],
            "roles": [str(r) for r in roles or []],
            "joined_at": "2025-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "pending": False,
        }

    def member_permissions(self, guild_id: int, user_id: int) -> int:
        """Guild-level permissions (topics/permissions: @everyone's, OR the member's roles'; all for the owner)."""
        return base_permissions(self.guilds[guild_id], self.members[(guild_id, user_id)]["roles"], user_id)

    def channel_permissions(self, channel_id: int, user_id: int) -> int:
        """A member's permissions in a channel: overwrites and implicit denials (a thread: its parent's overwrites)."""
        channel = self.channels[channel_id]
        if channel.get("type") == 1:
            return DEFAULT_PERMISSIONS | ATTACH_FILES
        guild_id = int(channel["guild_id"])
        roles = self.members[(guild_id, user_id)]["roles"]
        source = self.channels[int(channel["parent_id"])] if channel.get("parent_id") else channel
        base = self.member_permissions(guild_id, user_id)
        return apply_overwrites(base, source.get("permission_overwrites", []), str(guild_id), roles, user_id)

    def set_overwrite(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0, role: bool = True
    ) -> None:
        """A channel permission overwrite for a role (@everyone's id is the guild's) or, `role=False`, a member."""
        channel = self.channels[channel_id]
        kept = [o for o in channel.get("permission_overwrites", []) if o["id"] != str(target_id)]
        kept.append({"id": str(target_id), "type": 0 if role else 1, "allow": str(allow), "deny": str(deny)})
        channel["permission_overwrites"] = kept

    def guild_payload(self, guild_id: int) -> dict[str, Any]:
        guild = self.guilds[guild_id]
        return {
            "id": guild["id"],
            "name": guild["name"],
            "icon": None,
            "owner_id": guild["owner_id"],
            "roles": guild["roles"],
            "emojis": [],
            "stickers": [],
            "features": [],
            "channels": [{k: v for k, v in self.channels[c].items() if k != "guild_id"} for c in guild["channel_ids"]],
            "members": [m for (g, _), m in self.members.items() if g == guild_id],
            "member_count": sum(1 for (g, _) in self.members if g == guild_id),
            "threads": [self.channels[t] for t in guild.get("thread_ids", [])],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": guild["premium_tier"],
            "premium_subscription_count": (0, 2, 7, 14)[guild["premium_tier"]],
            "preferred_locale": guild["locale"],
            "system_channel_id": str(guild["system_channel_id"]) if guild.get("system_channel_id") else None,
            "system_channel_flags": 0,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "splash": None,
            "discovery_splash": None,
            "max_members": 500000,
            "joined_at": "2025-01-01T00:00:00+00:00",
            "premium_progress_bar_enabled": False,
            "application_id": None,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_video_channel_users": 25,
            "nsfw": False,
        }

    # --- knobs ----------------------------------------------------------------------------------

    def rate_limit(self, method: str, path_pattern: str, retry_after: float = 0.2, times: int = 1) -> None:
        """Answer the next `times` matching requests with 429 and this retry_after."""
        for _ in range(times):
            self._rate_limits.append((method.upper(), re.compile(path_pattern), retry_after))

    def fail_next(self, method: str, path_pattern: str, status: int, code: int, message: str) -> None:
        """Answer the next matching request with this Discord error (e.g. 400 50035, 500)."""
        self._failures.append((method.upper(), re.compile(path_pattern), status, code, message))

    def forbid_channel(self, channel_id: int) -> None:
        self.forbidden_channels.add(channel_id)

    def deny_bot(self, channel_id: int, permissions: int) -> None:
        """The bot lacks these permissions in this channel (e.g. READ_MESSAGE_HISTORY: no replies, no reactions;
        ATTACH_FILES: no uploads), by a member overwrite on the channel as Discord would have it. Call before
        the bot connects, or follow with `channel_updated` so the bot hears of it."""
        bot = self.bot_user["id"]
        current = next((o for o in self.channels[channel_id].get("permission_overwrites", []) if o["id"] == bot), None)
        denied = (int(current["deny"]) if current else 0) | permissions
        self.set_overwrite(channel_id, int(bot), deny=denied, role=False)

    async def channel_updated(self, channel_id: int) -> None:
        await self.dispatch("CHANNEL_UPDATE", dict(self.channels[channel_id]))

    def bot_permissions(self, channel_id: int) -> int:
        """What the bot may do in a channel."""
        return self.channel_permissions(channel_id, int(self.bot_user["id"]))

    def _check_bot_may(self, channel_id: int, needed: int) -> None:
        """403 like Discord: Missing Access (50001) without View Channel, else Missing Permissions (50013)."""
        have = self.bot_permissions(channel_id)
        if not have & VIEW_CHANNEL:
            raise _Error(*MISSING_ACCESS)
        if have & needed != needed:
            raise _Error(*MISSING_PERMISSIONS)

    def _send_permission(self, channel_id: int) -> int:
        """Posting needs Send Messages; in a thread, Send Messages in Threads instead."""
        return SEND_MESSAGES_IN_THREADS if self.channels[channel_id].get("type") in (10, 11, 12) else SEND_MESSAGES

    def file_limit(self, channel_id: int) -> int:
        """The largest upload a bot may post in a channel: 10 MiB in a DM, else by the guild's boost tier."""
        channel = self.channels[channel_id]
        if channel.get("type") == 1:
            return 10 * MIB
        return TIER_FILE_LIMIT[self.guilds[int(channel["guild_id"])]["premium_tier"]]

    def add_thread(self, parent_id: int, name: str = "a thread") -> int:
        """A public thread in a guild text channel; Discord sends it in GUILD_CREATE's `threads`."""
        parent = self.channels[parent_id]
        thread_id = next(self._ids)
        self.channels[thread_id] = {
            "id": str(thread_id),
            "type": 11,
            "guild_id": parent["guild_id"],
            "parent_id": str(parent_id),
            "owner_id": self.owner["id"],
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": "2026-01-01T00:00:00+00:00",
                "locked": False,
            },
        }
        self.guilds[int(parent["guild_id"])].setdefault("thread_ids", []).append(thread_id)
        return thread_id

    def delete_channel(self, channel_id: int) -> None:
        self.channels.pop(channel_id, None)

    def delete_message(self, message_id: int) -> None:
        self.messages.pop(message_id, None)

    def age_interaction(self, token: str, seconds: float) -> None:
        self.interactions[token].created -= seconds

    # --- gateway --------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if self.gateway_down:
            return web.Response(status=503, text="upstream connect error")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        shard_id = -1
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            op = data.get("op")
            if op == 1:
                await ws.send_json({"op": 11})
            elif op == 2:
                if data["d"].get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                if int(data["d"].get("intents", 0)) & MESSAGE_CONTENT and not self.message_content_allowed:
                    await ws.close(code=4014, message=b"Disallowed intent(s).")
                    break
                shard_id, count = data["d"].get("shard") or [0, 1]
                if not 0 <= shard_id < count or (self._shards and count != self.shard_count):
                    await ws.close(code=4010, message=b"Invalid shard.")
                    break
                mine = [g for g in self.guilds if self.shard_of(g, count) == shard_id and self.bot_is_in(g)]
                if len(mine) > GUILDS_PER_SHARD:
                    await ws.close(code=4011, message=b"Sharding required.")
                    break
                self.identify, self.shard_count = data["d"], count
                self.identified.append([shard_id, count])
                self._shards[shard_id] = ws
                await self._send_ready(shard_id, mine)
            elif op == 6:  # resume: make it identify again
                await ws.send_json({"op": 9, "d": False})
        if self._shards.get(shard_id) is ws:
            del self._shards[shard_id]
            self._ready_shards.discard(shard_id)
            self.ready.clear()
        return ws

    @staticmethod
    def shard_of(guild_id: int, count: int) -> int:
        """Discord's rule: a guild's events go to shard (guild_id >> 22) % num_shards."""
        return (guild_id >> 22) % count

    async def _send_ready(self, shard_id: int, guilds: list[int]) -> None:
        await self._send(
            shard_id,
            "READY",
            {
                "v": 10,
                "user": {**self.bot_user, "verified": True, "mfa_enabled": False},
                "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
                "session_id": f"fake-session-{shard_id}",
                "resume_gateway_url": self.gateway_url,
                "shard": [shard_id, self.shard_count],
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for guild_id in guilds:
            await self._send(shard_id, "GUILD_CREATE", self.guild_payload(guild_id))
        self._ready_shards.add(shard_id)
        if len(self._ready_shards) == self.shard_count:
            self.ready.set()

    async def _send(self, shard_id: int, event: str, data: dict[str, Any]) -> None:
        ws = self._shards.get(shard_id)
        if ws is None:
            raise RuntimeError(f"shard {shard_id} of the bot is not connected")
        self._seq += 1
        await ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """An event, on the connection of the shard its guild belongs to (shard 0 for events of no guild)."""
        if not self._shards:
            raise RuntimeError("the bot is not connected")
        guild = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        await self._send(self.shard_of(int(guild), self.shard_count) if guild else 0, event, data)

    async def wait_ready(self, timeout: float = 20.0) -> None:
        await asyncio.wait_for(self.ready.wait(), timeout)

    @property
    def message_content_intent(self) -> bool:
        return bool(self.identify and int(self.identify.get("intents", 0)) & MESSAGE_CONTENT)

    # --- interactions ---------------------------------------------------------------------------

    def _interaction_base(self, kind: int, guild_id: int, channel_id: int, user_id: int) -> Interaction:
        if not self.bot_is_in(guild_id):
            # application-commands.mdx, Installation Context: a GUILD_INSTALL app's commands are available in the
            # servers it is installed in; gone from a server it left, nothing there reaches it
            raise NotOffered(f"the app is not installed in server {guild_id}")
        interaction_id = next(self._ids)
        token = f"itok-{interaction_id}-{'x' * 40}"
        member = dict(self.members[(guild_id, user_id)])
        member["permissions"] = str(self.member_permissions(guild_id, user_id))
        channel = self.channels[channel_id]
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": token,
            "version": 1,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": self.guilds[guild_id]["locale"], "features": []},
            "channel_id": str(channel_id),
            "channel": {k: v for k, v in channel.items()},
            "member": member,
            "app_permissions": str(self.bot_permissions(channel_id)),
            "locale": self.user_locales.get(user_id, "en-US"),
            "guild_locale": self.guilds[guild_id]["locale"],
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": self.file_limit(channel_id),  # no member here has Nitro
        }
        interaction = Interaction(interaction_id, token, kind, payload, self.now(), channel_id, user_id)
        self.interactions[token] = interaction
        return interaction

    async def _send_interaction(self, interaction: Interaction) -> Interaction:
        interaction.created = self.now()
        await self.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    def _command_id(self, name: str, kind: int = 1) -> str:
        for commands in self.commands.values():
            for command in commands:
                if command["name"] == name and command.get("type", 1) == kind:
                    return str(command["id"])
        return str(next(self._ids))

    async def slash(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        path: list[str],
        options: dict[str, Any] | None = None,
        *,
        attachments: dict[str, dict[str, Any]] | None = None,
        focused: str | None = None,
    ) -> Interaction:
        """A slash command (`path` = ["luma", "generate"]) or, with `focused`, its autocomplete."""
        leaf: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for name, value in (options or {}).items():
            option: dict[str, Any] = {"name": name, "value": value, "type": _option_type(value)}
            if attachments and name in attachments:
                option["type"] = 11
                # a command option's file is an ephemeral attachment (message.mdx, Attachment Object)
                resolved.setdefault("attachments", {})[str(value)] = {**attachments[name], "ephemeral": True}
            if isinstance(value, dict) and "mention" in value:  # a user or role option
                option["type"], option["value"] = value["type"], str(value["id"])
                key = {6: "users", 7: "channels", 8: "roles"}[value["type"]]
                resolved.setdefault(key, {})[str(value["id"])] = value["object"]
                if value["type"] == 6:
                    resolved.setdefault("members", {})[str(value["id"])] = {
                        k: v for k, v in self.members[(guild_id, int(value["id"]))].items() if k != "user"
                    }
            if name == focused:
                option["focused"] = True
            leaf.append(option)
        tree: list[dict[str, Any]] = leaf
        for depth in range(len(path) - 1, 0, -1):
            kind = 2 if depth < len(path) - 1 else 1
            tree = [{"name": path[depth], "type": kind, "options": tree}]
        data: dict[str, Any] = {"id": self._command_id(path[0]), "name": path[0], "type": 1, "options": tree}
        if resolved:
            data["resolved"] = resolved
        interaction = self._interaction_base(4 if focused else 2, guild_id, channel_id, user_id)
        interaction.payload["data"] = data
        return await self._send_interaction(interaction)

    def user_option(self, user_id: int) -> dict[str, Any]:
        return {"mention": True, "type": 6, "id": user_id, "object": self.users[user_id]}

    def channel_option(self, channel_id: int) -> dict[str, Any]:
        channel = self.channels[channel_id]
        partial = {k: channel[k] for k in ("id", "name", "type", "parent_id", "nsfw", "position", "topic")}
        partial.update(permissions=str(DEFAULT_PERMISSIONS), guild_id=channel["guild_id"])
        return {"mention": True, "type": 7, "id": channel_id, "object": partial}

    def role_option(self, guild_id: int, role_id: int) -> dict[str, Any]:
        role = next(r for r in self.guilds[guild_id]["roles"] if r["id"] == str(role_id))
        return {"mention": True, "type": 8, "id": role_id, "object": role}

    async def click(self, message_id: int, custom_id: str, user_id: int) -> Interaction:
        message = self.messages[message_id]
        channel_id = int(message["channel_id"])
        guild_id = int(self.channels[channel_id]["guild_id"])
        interaction = self._interaction_base(3, guild_id, channel_id, user_id)
        interaction.payload["data"] = {"custom_id": custom_id, "component_type": 2}
        interaction.payload["message"] = message
        return await self._send_interaction(interaction)

    async def submit_modal(self, after: Interaction, user_id: int, values: dict[str, str]) -> Interaction:
        """Submit the modal that `after` answered with, filling text inputs by custom_id; a select inside a label
        sends `values` (components/reference.mdx: "in modal interaction responses `type` will be returned"): the
        value given here, else the options marked default, as a member who left it alone."""
        modal = after.response_data
        assert after.response_type == 9, "that interaction did not open a modal"
        rows = []
        for row in modal["components"]:
            if row.get("type") == 18 and row["component"].get("type") == 3:
                child = row["component"]
                chosen = values.get(child["custom_id"])
                if chosen is not None:
                    assert chosen in [o["value"] for o in child["options"]], f"no option {chosen!r} in that menu"
                picked = [chosen] if chosen is not None else [o["value"] for o in child["options"] if o.get("default")]
                rows.append({"type": 18, "component": {"type": 3, "custom_id": child["custom_id"], "values": picked}})
            elif row.get("type") == 18:
                child = row["component"]
                rows.append(
                    {
                        "type": 18,
                        "component": {
                            "type": 4,
                            "custom_id": child["custom_id"],
                            "value": values.get(child["custom_id"], ""),
                        },
                    }
                )
            else:
                child = row["components"][0]
                rows.append(
                    {
                        "type": 1,
                        "components": [
                            {"type": 4, "custom_id": child["custom_id"], "value": values.get(child["custom_id"], "")}
                        ],
                    }
                )
        guild_id = int(after.payload["guild_id"])
        interaction = self._interaction_base(5, guild_id, after.channel_id, user_id)
        interaction.payload["data"] = {"custom_id": modal["custom_id"], "components": rows}
        if "message" in after.payload:
            interaction.payload["message"] = after.payload["message"]
        return await self._send_interaction(interaction)

    async def user_command(
        self,
        user_id: int,
        path: list[str],
        options: dict[str, Any] | None = None,
        *,
        context: int,
        guild_id: int | None = None,
        channel_id: int | None = None,
        force: bool = False,
    ) -> Interaction:
        """A member who added the app to their own account (User Install) runs a global command: in a server that
        does not have the bot (context 0), in a DM with the bot (1) or in a group DM (2). Discord offers the command
        there only if its integration_types include USER_INSTALL (1) and its contexts include `context`
        (application-commands.mdx, "Contexts"); else NotOffered. `force` sends it anyway, as a stale client might."""
        command = next((c for c in self.commands.get(None, []) if c["name"] == path[0]), None)
        if command is None:
            raise NotOffered(f"no global command {path[0]}")
        offered = self.user_install and 1 in command["integration_types"] and context in command["contexts"]
        if not offered and not force:
            raise NotOffered(f"/{path[0]} is not offered to a user install in context {context}")
        if channel_id is None:
            channel_id = next(self._ids)
            self.channels[channel_id] = {"id": str(channel_id), "type": 1 if context == 1 else 3, "recipients": []}
        interaction_id = next(self._ids)
        token = f"itok-{interaction_id}-{'x' * 40}"
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": 2,
            "token": token,
            "version": 1,
            "channel_id": str(channel_id),
            "channel": {k: v for k, v in self.channels[channel_id].items() if k != "permission_overwrites"},
            "user": self.users[user_id],
            "app_permissions": str(DEFAULT_PERMISSIONS),
            "locale": self.user_locales.get(user_id, "en-US"),
            "entitlements": [],
            "authorizing_integration_owners": {"1": str(user_id)},
            "context": context,
            "attachment_size_limit": 10 * MIB,
            "data": {
                "id": command["id"],
                "name": path[0],
                "type": 1,
                "options": [
                    {"name": path[1], "type": 1, "options": [
                        {"name": k, "value": v, "type": _option_type(v)} for k, v in (options or {}).items()
                    ]}
                ],
            },
        }  # fmt: skip
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
            payload["member"] = {**self.members[(guild_id, user_id)], "permissions": str(DEFAULT_PERMISSIONS)}
            payload.pop("user")
        interaction = Interaction(interaction_id, token, 2, payload, self.now(), channel_id, user_id)
        self.interactions[token] = interaction
        return await self._send_interaction(interaction)

    async def message_command(self, name: str, message_id: int, user_id: int) -> Interaction:
        message = self.messages[message_id]
        channel_id = int(message["channel_id"])
        guild_id = int(self.channels[channel_id]["guild_id"])
        interaction = self._interaction_base(2, guild_id, channel_id, user_id)
        interaction.payload["data"] = {
            "id": self._command_id(name, 3),
            "name": name,
            "type": 3,
            "target_id": str(message_id),
            "resolved": {"messages": {str(message_id): message}},
        }
        return await self._send_interaction(interaction)

    def set_age_restricted(self, channel_id: int, value: bool = True) -> None:
        """Mark a channel age-restricted (`nsfw`); threads have no flag of their own. Call before the bot
        connects, or follow with `channel_updated`."""
        self.channels[channel_id]["nsfw"] = value

    def user_attachment(
        self, channel_id: int, filename: str, size: int = 20_000, *, data: bytes | None = None, ephemeral: bool = False
    ) -> dict[str, Any]:
        """An attachment as Discord describes one a member uploaded (signed link, content type by name); its bytes
        are served at its link. `ephemeral`: a slash command option's file (message.mdx, Attachment Object:
        "Ephemeral attachments will automatically be removed after a set period of time"): `expire_upload`."""
        body = data if data is not None else PNG_BYTES + b"\0" * max(0, size - len(PNG_BYTES))
        upload = Upload(0, filename, len(body), hashlib.sha256(body).hexdigest())
        item = attachment(next(self._ids), upload, channel_id, self.cdn_base)
        self.files[item["url"].split("?", 1)[0].removeprefix(self.cdn_base)] = body
        if ephemeral:
            item["ephemeral"] = True
        return item

    def expire_upload(self, item: dict[str, Any]) -> None:
        """Discord removes an ephemeral attachment: its link answers 404 from now on."""
        self.files.pop(item["url"].split("?", 1)[0].removeprefix(self.cdn_base), None)

    async def post_user_message(
        self,
        channel_id: int,
        user_id: int,
        content: str,
        *,
        reply_to: int | None = None,
        ping: bool = True,
        attachments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A member writes in a channel (optionally a reply, optionally with files); the bot sees MESSAGE_CREATE."""
        guild_id = int(self.channels[channel_id]["guild_id"])
        reference = None
        mentions: list[dict[str, Any]] = []
        referenced = None
        if reply_to is not None:
            referenced = self.messages[reply_to]
            reference = {"message_id": str(reply_to), "channel_id": str(channel_id), "guild_id": str(guild_id)}
            if ping:
                mentions.append(referenced["author"])
        message = self._message(channel_id, self.users[user_id], {"content": content}, reference=reference)
        message["mentions"] = mentions
        message["attachments"] = attachments or []
        self.messages[int(message["id"])] = message
        event = dict(self._as_the_bot_sees(message, over_gateway=True))
        event["guild_id"] = str(guild_id)
        event["member"] = {k: v for k, v in self.members[(guild_id, user_id)].items() if k != "user"}
        if referenced is not None:
            event["referenced_message"] = self._as_the_bot_sees(referenced, over_gateway=True)
        await self.dispatch("MESSAGE_CREATE", event)
        return message

    async def wait_response(self, interaction: Interaction, timeout: float = 5.0) -> Interaction:
        await asyncio.wait_for(interaction.responded_event.wait(), timeout)
        return interaction

    # --- waiting on what the bot did ------------------------------------------------------------

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> Any:
        """Wait until `predicate()` returns something truthy: checked on every request the bot makes,
        and every 20 ms for state that changes elsewhere (the fake Luma API, the database)."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not (result := predicate()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the fake Discord did not see what the test waited for")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.02))
            return result

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == str(channel_id)]

    def calls(self, method: str, pattern: str) -> list[Recorded]:
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method and regex.search(r.path)]

    # --- REST -----------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        async with self._changed:
            self._changed.notify_all()
        return response

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        body: Any = None
        uploads: list[Upload] = []
        if raw:
            if request.content_type == "multipart/form-data":
                try:
                    body, uploads = parse_multipart(raw, request.headers.get("Content-Type", ""))
                except (InvalidForm, ValueError):
                    return _json({"code": 50035, "message": "Invalid Form Body"}, status=400)
            else:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
        record = Recorded(request.method, path, body, self.now(), query=dict(request.query), uploads=uploads)
        self.requests.append(record)
        webhook = re.match(r"^/webhooks/\d+/[^/]+/messages/[^/]+", path)
        if webhook and webhook[0] in self._webhook_404:
            self.violations.append(f"{request.method} {webhook[0][:40]}… again after Discord answered 404")
        try:
            for i, (method, pattern, retry_after) in enumerate(self._rate_limits):
                if method == request.method and pattern.search(path):
                    del self._rate_limits[i]
                    record.status = 429
                    self.invalid_requests += 1
                    return _json(
                        {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
                        status=429,
                        headers={
                            "Retry-After": str(max(1, int(retry_after))),
                            "X-RateLimit-Limit": "5",
                            "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset-After": str(retry_after),
                            "X-RateLimit-Bucket": "fake-bucket",
                            "X-RateLimit-Scope": "user",
                            "Via": "1.1 google",  # Discord's own 429s carry it; without it, it's Cloudflare
                        },
                    )
            for i, (method, pattern, status, code, message) in enumerate(self._failures):
                if method == request.method and pattern.search(path):
                    del self._failures[i]
                    raise _Error(status, code, message)
            if not path.startswith(("/webhooks/", "/interactions/")):
                if request.headers.get("Authorization") != f"Bot {self.token}":
                    raise _Error(401, 0, "401: Unauthorized")
            status, payload = await self._route(request.method, path, body, request.query, uploads, len(raw))
        except _Error as exc:
            record.status = exc.status
            if exc.status in (401, 403):
                self.invalid_requests += 1
            if exc.status == 404 and webhook:
                self._webhook_404.add(webhook[0])
            body_out: dict[str, Any] = {"code": exc.code, "message": exc.message}
            if exc.errors is not None:
                body_out["errors"] = exc.errors
            return _json(body_out, status=exc.status)
        except InvalidForm as exc:
            record.status = 400
            return _json(
                {
                    "code": 50035,
                    "message": "Invalid Form Body",
                    "errors": {exc.path: {"_errors": [{"code": "BASE_TYPE_BAD", "message": exc.message}]}},
                },
                status=400,
            )
        record.status = status
        if status == 204:
            return web.Response(status=204)
        return _json(payload, status=status)

    def _leave_guild(self, guild_id: int) -> tuple[int, Any]:
        """user.mdx, Leave Guild: "Returns a 204 empty response on success. Fires a Guild Delete Gateway event and a
        Guild Member Remove Gateway event"; gateway-events.mdx, Guild Delete: "If the `unavailable` field is not
        set, the user was removed from the guild"."""
        if guild_id not in self.guilds or not self.bot_is_in(guild_id):
            raise _Error(404, 10004, "Unknown Guild")
        del self.members[(guild_id, int(self.bot_user["id"]))]
        self.left_guilds.append(guild_id)

        async def tell() -> None:
            await self.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(guild_id), "user": self.bot_user})
            await self.dispatch("GUILD_DELETE", {"id": str(guild_id)})

        task = asyncio.get_running_loop().create_task(tell())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return 204, None

    async def _route(
        self, method: str, path: str, body: Any, query: Any, uploads: list[Upload], size: int = 0
    ) -> tuple[int, Any]:
        app = str(self.application_id)
        parts = path.strip("/").split("/")
        match parts:
            case ["users", "@me"] if method == "GET":
                return 200, self.bot_user
            case ["users", "@me", "guilds", g] if method == "DELETE":
                return self._leave_guild(int(g))
            case ["oauth2", "applications", "@me"] if method == "GET":
                return 200, self._application()
            case ["applications", "@me"] if method == "GET":
                return 200, self._application()
            case ["gateway"] | ["gateway", "bot"]:
                return 200, {
                    "url": self.gateway_url,
                    "shards": self.recommended_shards,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": self.max_concurrency,
                    },
                }
            case ["applications", a, "commands"] if a == app:
                return self._commands(None, method, body)
            case ["applications", a, "guilds", g, "commands"] if a == app:
                return self._commands(int(g), method, body)
            case ["interactions", iid, token, "callback"] if method == "POST":
                return self._interaction_callback(int(iid), token, body, query)
            case ["webhooks", a, token] if method == "POST" and a == app:
                return self._followup(token, body, query, uploads)
            case ["webhooks", a, token, "messages", mid] if a == app:
                return self._webhook_message(token, mid, method, body, uploads)
            case ["interactions", iid, token, "callback"] if method == "POST" and uploads:
                raise _Error(400, 50035, "the fake takes no files in an interaction callback")
            case ["channels", cid, "messages"] if method == "POST":
                return 200, self._create_message(int(cid), body, uploads, size)
            case ["channels", cid, "messages", mid] if method in ("GET", "PATCH", "DELETE"):
                return self._channel_message(int(cid), int(mid), method, body, uploads)
            case ["channels", cid, "messages", mid, "reactions", emoji, "@me"] if method == "PUT":
                # message.mdx, Create Reaction: "requires the READ_MESSAGE_HISTORY permission … Additionally, if
                # nobody else has reacted to the message using this emoji, … the ADD_REACTIONS permission"
                self._channel(int(cid), write=True)
                self._message_in(int(cid), int(mid))
                first = not any(r[:2] == (int(cid), int(mid)) and r[2] == emoji for r in self.reactions)
                self._check_bot_may(int(cid), READ_MESSAGE_HISTORY | (ADD_REACTIONS if first else 0))
                self.reactions.append((int(cid), int(mid), emoji))
                return 204, None
            case ["channels", cid, "messages", mid, "reactions", emoji] if method == "GET":
                return 200, self._reaction_users(int(cid), int(mid), emoji, query)
            case ["guilds", g, "members", u] if method == "GET":
                # guild.mdx, Get Guild Member: the member object; 10007 Unknown Member for someone not in it; a
                # server the bot is not in is not its to read (50001 Missing Access)
                if not self.bot_is_in(int(g)):
                    raise _Error(403, 50001, "Missing Access")
                member = self.members.get((int(g), int(u)))
                if member is None:
                    raise _Error(404, 10007, "Unknown Member")
                return 200, member
            case ["channels", cid, "typing"] if method == "POST":
                self._channel(int(cid), write=True)
                self._check_bot_may(int(cid), self._send_permission(int(cid)))
                return 204, None
            case ["users", "@me", "channels"] if method == "POST":
                return 200, self._open_dm(int(body["recipient_id"]))
            case ["channels", cid] if method == "GET":
                return 200, self._channel(int(cid))
            case ["channels", cid, "threads"] if method == "POST":
                return 201, await self._start_thread(int(cid), body)
            case ["channels", tid, "thread-members", uid] if method == "PUT":
                await self._add_thread_member(int(tid), int(uid))
                return 204, None
        raise _Error(404, 0, f"404: Not Found ({method} {path})")

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "bot_public": self.bot_public,
            "bot_require_code_grant": False,
            "owner": self.owner,
            "verify_key": "0" * 64,
            # application.mdx, Application Flags: the intent's switch shows as GATEWAY_MESSAGE_CONTENT_LIMITED for an
            # app that is not verified (in under 100 servers)
            "flags": GATEWAY_MESSAGE_CONTENT_LIMITED if self.message_content_allowed else 0,
            "team": None,
            "summary": "",
            "bot": self.bot_user,
            "interactions_endpoint_url": None,
            "install_params": None,
            "redirect_uris": [],
            "tags": [],
        }

    def _commands(self, guild_id: int | None, method: str, body: Any) -> tuple[int, Any]:
        if guild_id is not None and guild_id not in self.guilds:
            raise _Error(404, 10004, "Unknown Guild")
        if method == "GET":
            return 200, self.commands.get(guild_id, [])
        if method != "PUT":
            raise _Error(405, 0, "405: Method Not Allowed")
        check_commands(body)
        stored = []
        for command in body:
            command = dict(command)
            command.setdefault("description", "")  # Discord sends "" for context menus
            command.setdefault("options", [])
            # application-commands.mdx: integration_types may name only installation contexts the application
            # supports; for a global command it defaults to them, and `contexts` to all three
            installs = [0, 1] if self.user_install else [0]
            if any(t not in installs for t in command.get("integration_types") or []):
                raise _Error(400, 50035, "integration_types: the application does not support that installation")
            if guild_id is None:
                command["integration_types"] = command.get("integration_types") or installs
                command["contexts"] = command.get("contexts") or [0, 1, 2]
            command["id"] = self._command_id(command["name"], command.get("type", 1))
            command["application_id"] = str(self.application_id)
            command["version"] = str(next(self._ids))
            if guild_id is not None:
                command["guild_id"] = str(guild_id)
            stored.append(command)
        self.commands[guild_id] = stored
        return 200, stored

    # interactions

    def _interaction(self, token: str) -> Interaction:
        interaction = self.interactions.get(token)
        if interaction is None:
            raise _Error(401, 50027, "Invalid Webhook Token")
        return interaction

    def _interaction_callback(self, iid: int, token: str, body: Any, query: Any) -> tuple[int, Any]:
        interaction = self.interactions.get(token)
        if interaction is None or interaction.id != iid:
            raise _Error(404, 10062, "Unknown interaction")
        if self.now() - interaction.created > DEADLINE:
            raise _Error(404, 10062, "Unknown interaction")
        if interaction.responded:
            raise _Error(400, 40060, "Interaction has already been acknowledged.")
        kind = body.get("type")
        data = body.get("data") or {}
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[interaction.kind]
        if kind not in allowed:
            raise _Error(400, 50035, f"Invalid interaction response type {kind} for this interaction")
        if kind == 4:
            check_message(data)
        elif kind == 7:
            check_message(data, partial=True)
        elif kind == 9:
            check_modal(data)
        elif kind == 8:
            check_choices(data.get("choices") or [])
        interaction.responded = True
        interaction.response_type = kind
        interaction.response_at = self.now()
        interaction.response_data = data
        message = None
        if kind in (4, 5):
            flags = int(data.get("flags", 0))
            if kind == 5:
                flags |= 128  # loading
            message = self._message(
                interaction.channel_id, self.bot_user, {**data, "flags": flags}, interaction=interaction
            )
            self.messages[int(message["id"])] = message
            interaction.original_message_id = int(message["id"])
            self._notify(message, data)
        elif kind in (6, 7) and "message" in interaction.payload:
            interaction.original_message_id = int(interaction.payload["message"]["id"])
            if kind == 7:
                self._edit(self.messages.get(interaction.original_message_id), data)
        interaction.responded_event.set()
        if query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.kind,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(data.get("flags", 0)) & 64),
            },
            "resource": {"type": kind},
        }
        if message is not None:
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"]["message"] = message
        return 200, answer

    def _check_token_alive(self, interaction: Interaction) -> None:
        if self.now() - interaction.created > TOKEN_TTL:
            raise _Error(401, 50027, "Invalid Webhook Token")

    def _followup(self, token: str, body: Any, query: Any, uploads: list[Upload]) -> tuple[int, Any]:
        interaction = self._interaction(token)
        self._check_token_alive(interaction)
        if not interaction.responded:
            raise _Error(404, 10015, "Unknown Webhook")
        check_message(body)
        # files follow the interaction's own rules, as its response's do: app_permissions, attachment_size_limit
        may_attach = int(interaction.payload["app_permissions"]) & ATTACH_FILES
        limit = interaction.payload["attachment_size_limit"]
        original = self.messages.get(interaction.original_message_id or 0)
        if original is not None and original["flags"] & 128:
            # Discord: the first follow-up after a deferred response edits the loading message instead, and
            # ignores the ephemeral flag (the message keeps the defer's): a "private" answer goes public, and
            # nobody is notified (an edit)
            files = self._attachments(original, body, uploads, limit, may_attach)
            self._edit(original, {k: v for k, v in body.items() if k != "flags"}, files)
            message = original
        else:
            files = self._attachments(None, body, uploads, limit, may_attach, interaction.channel_id)
            message = self._message(interaction.channel_id, self.bot_user, body, interaction=interaction)
            message["attachments"] = files or []
            self.messages[int(message["id"])] = message
            self._notify(message, body)
        if query.get("wait") in ("true", "1", "True"):
            return 200, message
        return 204, None

    def _webhook_message(self, token: str, mid: str, method: str, body: Any, uploads: list[Upload]) -> tuple[int, Any]:
        interaction = self._interaction(token)
        self._check_token_alive(interaction)
        if mid == "@original":
            if not interaction.responded or interaction.original_message_id is None:
                raise _Error(404, 10008, "Unknown Message")
            message_id = interaction.original_message_id
        else:
            message_id = int(mid)
        message = self.messages.get(message_id)
        if message is None:
            raise _Error(404, 10008, "Unknown Message")
        if method == "GET":
            refresh_urls(message, self.cdn_base)
            return 200, message
        if method == "DELETE":
            self.messages.pop(message_id, None)
            return 204, None
        check_message(body, partial=True)
        # an interaction's response follows the interaction's own rules: its app_permissions and its
        # attachment_size_limit (the larger of the guild's and the member's Nitro limit)
        may_attach = int(interaction.payload["app_permissions"]) & ATTACH_FILES
        files = self._attachments(message, body, uploads, interaction.payload["attachment_size_limit"], may_attach)
        self._edit(message, body, files)
        merged = {k: message.get(k) for k in ("content", "embeds", "components", "attachments")}
        check_message(merged)
        return 200, message

    # channels and messages

    def _channel(self, channel_id: int, *, write: bool = False) -> dict[str, Any]:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise _Error(404, 10003, "Unknown Channel")
        if write and channel_id in self.forbidden_channels:
            raise _Error(403, 50013, "Missing Permissions")
        return channel

    def _message_in(self, channel_id: int, message_id: int) -> dict[str, Any]:
        """A message through the channel's routes. An ephemeral one is not there: it lives only in its interaction
        (receiving-and-responding.mdx, Interaction Callback: EPHEMERAL "only the user receiving the message can see
        it"; the bot reaches it through the interaction's webhook while the token lives, never the channel)."""
        message = self.messages.get(message_id)
        if message is None or message["channel_id"] != str(channel_id) or message.get("flags", 0) & 64:
            raise _Error(404, 10008, "Unknown Message")
        return message

    def _create_message(
        self, channel_id: int, body: Any, uploads: list[Upload] | None = None, size: int = 0
    ) -> dict[str, Any]:
        """Create Message (message.mdx): Send Messages (in a thread: Send Messages in Threads); a reply needs Read
        Message History; files need Attach Files; at most 25 MiB a request; embeds need Embed Links (below)."""
        channel = self._channel(channel_id, write=True)
        check_message(body)
        if channel.get("type") != 1:
            self._check_bot_may(channel_id, self._send_permission(channel_id))
            self._check_in_thread(channel_id)
        if size > REQUEST_LIMIT:
            raise _Error(413, 40005, "Request entity too large")
        may_attach = self.bot_permissions(channel_id) & ATTACH_FILES
        files = self._attachments(None, body, uploads or [], self.file_limit(channel_id), may_attach, channel_id)
        reference = body.get("message_reference")
        if reference is not None and not self.bot_permissions(channel_id) & READ_MESSAGE_HISTORY:
            raise _Error(*MISSING_PERMISSIONS)  # a reply needs Read Message History
        if reference is not None:  # Discord answers with snowflakes as strings
            reference = {k: str(v) if k.endswith("_id") and v is not None else v for k, v in reference.items()}
            referenced = self.messages.get(int(reference["message_id"]))
            if referenced is None and reference.get("fail_if_not_exists", True):
                raise _Error(400, 50035, "Unknown message in message_reference")
        body = self._without_embeds_unless_allowed(channel_id, body, bool(files))
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Create Message, enforce_nonce: "If another message was created by the same author with the same
            # nonce [in the past few minutes], that message will be returned and no new message will be created"
            seen = self._nonces.get(str(nonce))
            if seen is not None and self.now() - seen[1] < NONCE_WINDOW and seen[0] in self.messages:
                return self.messages[seen[0]]
        author = self.bot_user
        message = self._message(channel_id, author, body, reference=reference)
        if nonce is not None:
            message["nonce"] = nonce
            self._nonces[str(nonce)] = (int(message["id"]), self.now())
        message["attachments"] = files or []
        if channel.get("type") == 1:
            message["guild_id"] = None
        self.messages[int(message["id"])] = message
        self._notify(message, body)
        return message

    def _without_embeds_unless_allowed(self, channel_id: int, body: dict[str, Any], has_files: bool) -> dict[str, Any]:
        """A bot without Embed Links sees its embeds silently dropped, and a message left with nothing is refused as
        empty (50006): discord-api-docs#5648 ("Ignores embed and calls it empty if you have no content or button"),
        #2601. Interaction responses are the application's webhook messages, to which this does not apply."""
        channel = self.channels[channel_id]
        if channel.get("type") == 1 or not body.get("embeds") or self.bot_permissions(channel_id) & EMBED_LINKS:
            return body
        body = {**body, "embeds": []}
        if not (body.get("content") or body.get("components") or has_files or body.get("sticker_ids")):
            raise _Error(400, 50006, "Cannot send an empty message")
        return body

    def _notify(self, message: dict[str, Any], body: dict[str, Any]) -> None:
        """Who a NEW message pings (an edit never does): the users its content mentions, as `allowed_mentions`
        permits (message.mdx, Allowed Mentions: absent, every mention parses; `parse`, `users`), the author of the
        message it replies to when `replied_user`, and the other side of a DM. Ephemeral messages ping nobody."""
        if message["flags"] & 64:
            return
        allowed = body.get("allowed_mentions")
        mentioned = [int(u) for u in re.findall(r"<@!?(\d+)>", message.get("content") or "")]
        if allowed is not None:
            listed = {int(u) for u in allowed.get("users") or []}
            if "users" not in (allowed.get("parse") or []):
                mentioned = [u for u in mentioned if u in listed]
        reference = message.get("message_reference")
        if reference is not None and (allowed is None or allowed.get("replied_user")):
            referenced = self.messages.get(int(reference["message_id"]))
            if referenced is not None:
                mentioned.append(int(referenced["author"]["id"]))
        channel = self.channels.get(int(message["channel_id"]), {})
        if channel.get("type") == 1:
            mentioned.append(int(channel["recipients"][0]["id"]))
        for user in dict.fromkeys(mentioned):
            if str(user) != self.bot_user["id"]:
                self.notifications.append((user, int(message["id"])))

    # --- members' reactions ----------------------------------------------------------------------

    def _reaction_users(self, channel_id: int, message_id: int, emoji: str, query: Any) -> list[dict[str, Any]]:
        """message.mdx, Get Reactions: the users who reacted with `emoji`, by id after `after`; `limit` 1-100
        (default 25). Reading a channel's messages needs Read Message History (and View Channel)."""
        self._channel(channel_id)
        self._message_in(channel_id, message_id)
        if self.channels[channel_id].get("type") != 1:
            self._check_bot_may(channel_id, READ_MESSAGE_HISTORY)
        limit = int(query.get("limit", 25))
        if not 1 <= limit <= 100:
            raise _Error(400, 50035, "Invalid Form Body (limit: int between 1 and 100)")
        after = int(query.get("after", 0))
        users = sorted(u for u in self.reacted.get((message_id, emoji), []) if u > after)
        return [self.users[u] for u in users[:limit]]

    def _reaction_counts(self, message: dict[str, Any]) -> None:
        """The message's `reactions` (message.mdx, Reaction Object): a count per emoji, and whether the bot is in it."""
        message_id, bot_id = int(message["id"]), int(self.bot_user["id"])
        message["reactions"] = [
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": bot_id in users,
                "me_burst": False,
                "emoji": {"id": None, "name": emoji},
                "burst_colors": [],
            }
            for (mid, emoji), users in self.reacted.items()
            if mid == message_id and users
        ]

    def _reaction_event(self, message: dict[str, Any], user_id: int, emoji: str, added: bool) -> dict[str, Any]:
        """events/gateway-events.mdx, Message Reaction Add (member, message_author_id, burst, type) and Remove (no
        member, no author)."""
        event: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if message.get("guild_id"):
            event["guild_id"] = str(message["guild_id"])
            if added:
                event["member"] = self.members.get((int(message["guild_id"]), user_id))
        if added:
            event["message_author_id"] = message["author"]["id"]
            event["burst_colors"] = []
        return event

    def _reaction_intent(self) -> bool:
        """Reaction events are sent only to a bot that asked for them (GUILD_MESSAGE_REACTIONS in IDENTIFY)."""
        return bool(self.identify and int(self.identify.get("intents", 0)) & GUILD_MESSAGE_REACTIONS)

    async def react(self, message_id: int, user_id: int, emoji: str = "⭐", *, tell: bool = True) -> bool:
        """A member reacts (once per emoji: again changes nothing and sends nothing, as in Discord). `tell=False`:
        the bot is away and never hears of it (it may read the reactions later). Whether it was new."""
        message = self.messages[message_id]
        users = self.reacted.setdefault((message_id, emoji), [])
        if user_id in users:
            return False
        users.append(user_id)
        self._reaction_counts(message)
        if tell and self._shards and self._reaction_intent():
            await self.dispatch("MESSAGE_REACTION_ADD", self._reaction_event(message, user_id, emoji, True))
        return True

    async def unreact(self, message_id: int, user_id: int, emoji: str = "⭐", *, tell: bool = True) -> bool:
        message = self.messages[message_id]
        users = self.reacted.get((message_id, emoji), [])
        if user_id not in users:
            return False
        users.remove(user_id)
        self._reaction_counts(message)
        if tell and self._shards and self._reaction_intent():
            await self.dispatch("MESSAGE_REACTION_REMOVE", self._reaction_event(message, user_id, emoji, False))
        return True

    async def clear_reactions(self, message_id: int) -> None:
        """Someone with Manage Messages removed every reaction (MESSAGE_REACTION_REMOVE_ALL)."""
        message = self.messages[message_id]
        for key in [k for k in self.reacted if k[0] == message_id]:
            del self.reacted[key]
        self._reaction_counts(message)
        if self._shards and self._reaction_intent():
            event = {"channel_id": message["channel_id"], "message_id": message["id"]}
            if message.get("guild_id"):
                event["guild_id"] = str(message["guild_id"])
            await self.dispatch("MESSAGE_REACTION_REMOVE_ALL", event)

    def pings(self, user_id: int) -> list[dict[str, Any]]:
        """The messages that notified this user, still there."""
        return [self.messages[m] for u, m in self.notifications if u == user_id and m in self.messages]

    def _as_the_bot_sees(self, message: dict[str, Any], *, over_gateway: bool) -> dict[str, Any]:
        """events/gateway.mdx, "Message Content Intent": without the intent an app receives empty `content`, `embeds`,
        `attachments` and `components` (and no `poll`), except in messages it sent, in DMs with it, and in messages
        that mention it; the target of a message command arrives whole in the interaction (not through here). Over
        REST what counts is the application's Portal switch alone ("HTTP API restrictions are independent of Gateway
        restrictions"); over the gateway the intent must also be asked for in IDENTIFY."""
        allowed = self.message_content_allowed and (self.message_content_intent or not over_gateway)
        if allowed or message["author"]["id"] == self.bot_user["id"]:
            return message
        if self.channels.get(int(message["channel_id"]), {}).get("type") == 1:
            return message
        if any(m.get("id") == self.bot_user["id"] for m in message.get("mentions") or []):
            return message
        hidden = {**message, "content": "", "embeds": [], "attachments": [], "components": []}
        hidden.pop("poll", None)
        return hidden

    def _channel_message(
        self, channel_id: int, message_id: int, method: str, body: Any, uploads: list[Upload]
    ) -> tuple[int, Any]:
        self._channel(channel_id, write=method != "GET")
        message = self._message_in(channel_id, message_id)
        if method == "GET":
            # Get Channel Message: "requires the current user to have both the VIEW_CHANNEL and
            # READ_MESSAGE_HISTORY permissions" in a guild channel
            if self.channels[channel_id].get("type") != 1:
                self._check_bot_may(channel_id, READ_MESSAGE_HISTORY)
            refresh_urls(message, self.cdn_base)
            return 200, self._as_the_bot_sees(message, over_gateway=False)
        if method == "DELETE":
            # Discord: deleting another user's message in a guild channel needs Manage Messages
            if (
                message["author"]["id"] != self.bot_user["id"]
                and not self.bot_permissions(channel_id) & MANAGE_MESSAGES
            ):
                raise _Error(403, 50013, "Missing Permissions")
            self.messages.pop(message_id, None)
            return 204, None
        if message["author"]["id"] != self.bot_user["id"]:
            raise _Error(403, 50005, "Cannot edit a message authored by another user")
        check_message(body, partial=True)
        may_attach = self.bot_permissions(channel_id) & ATTACH_FILES
        files = self._attachments(message, body, uploads, self.file_limit(channel_id), may_attach)
        if message.get("interaction_metadata") is None:  # an interaction's response is the application's webhook's
            keeps_files = bool(files if files is not None else message.get("attachments"))
            body = self._without_embeds_unless_allowed(channel_id, body, keeps_files)
        self._edit(message, body, files)
        return 200, message

    async def _start_thread(self, channel_id: int, body: Any) -> dict[str, Any]:
        """channel.mdx, Start Thread without Message: name 1-100 characters; auto_archive_duration 60, 1440, 4320 or
        10080; `type` defaults to PRIVATE_THREAD (12); `invitable` "only available when creating a private thread".
        Fires Thread Create. threads.mdx: private threads "can only be created in GUILD_TEXT channels";
        permissions.mdx: CREATE_PRIVATE_THREADS (1 << 36), CREATE_PUBLIC_THREADS (1 << 35)."""
        parent = self._channel(channel_id, write=True)
        body = body if isinstance(body, dict) else {}
        kind = body.get("type", 12)
        if kind not in (11, 12):
            raise InvalidForm("type", "Value must be one of {11, 12}.")
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise InvalidForm("name", "Must be between 1 and 100 in length.")
        archive = body.get("auto_archive_duration", 1440)
        if archive not in (60, 1440, 4320, 10080):
            raise InvalidForm("auto_archive_duration", "Value must be one of {60, 1440, 4320, 10080}.")
        if "invitable" in body and kind != 12:
            raise InvalidForm("invitable", "Only private threads can be invitable.")
        if parent.get("type") != 0:
            raise _Error(400, 50024, "Cannot execute action on this channel type")
        self._check_bot_may(channel_id, CREATE_PRIVATE_THREADS if kind == 12 else CREATE_PUBLIC_THREADS)
        thread_id = self.add_thread(channel_id, name)
        thread = self.channels[thread_id]
        thread["type"] = kind
        thread["owner_id"] = self.bot_user["id"]
        thread["thread_metadata"].update(auto_archive_duration=archive, invitable=bool(body.get("invitable", True)))
        thread["member_ids"] = [self.bot_user["id"]]
        if self._shards:  # (a fake without a connected bot: nobody to tell)
            await self.dispatch("THREAD_CREATE", {**self._thread_payload(thread_id), "newly_created": True})
        return self._thread_payload(thread_id)

    def _thread_payload(self, thread_id: int) -> dict[str, Any]:
        return {k: v for k, v in self.channels[thread_id].items() if k != "member_ids"}

    async def _add_thread_member(self, thread_id: int, user_id: int) -> None:
        """channel.mdx, Add Thread Member: "Requires the ability to send messages in the thread. Also requires the
        thread is not archived." 204 if added or already a member; fires Thread Members Update. threads.mdx: a
        private thread is seen only by its members and moderators (MANAGE_THREADS)."""
        thread = self._channel(thread_id, write=True)
        if thread.get("type") not in (10, 11, 12):
            raise _Error(400, 50024, "Cannot execute action on this channel type")
        self._check_in_thread(thread_id)
        self._check_bot_may(thread_id, SEND_MESSAGES_IN_THREADS)
        if thread["thread_metadata"].get("archived"):
            raise _Error(400, 50083, "Thread is archived")
        if (int(thread["guild_id"]), user_id) not in self.members:
            raise _Error(404, 10013, "Unknown User")
        members = thread.setdefault("member_ids", [])
        if str(user_id) in members:
            return
        members.append(str(user_id))
        thread["member_count"] = len(members)
        added = {"id": str(thread_id), "user_id": str(user_id), "join_timestamp": "2026-01-01T00:00:00+00:00"}
        if not self._shards:
            return
        await self.dispatch(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(thread_id),
                "guild_id": thread["guild_id"],
                "member_count": len(members),
                "added_members": [{**added, "flags": 0}],
                "removed_member_ids": [],
            },
        )

    def _check_in_thread(self, thread_id: int) -> None:
        """A private thread: the bot must be in it, or a moderator of its channel (else Missing Access)."""
        thread = self.channels[thread_id]
        if thread.get("type") != 12 or self.bot_user["id"] in thread.get("member_ids", []):
            return
        if not self.bot_permissions(thread_id) & MANAGE_THREADS:
            raise _Error(*MISSING_ACCESS)

    def thread_members(self, thread_id: int) -> list[int]:
        return [int(m) for m in self.channels[thread_id].get("member_ids", [])]

    def threads_in(self, channel_id: int) -> list[int]:
        return [c for c, ch in self.channels.items() if ch.get("parent_id") == str(channel_id)]

    def _open_dm(self, user_id: int) -> dict[str, Any]:
        if user_id not in self.users:
            raise _Error(400, 50035, "Invalid Form Body")
        for channel in self.channels.values():
            if channel.get("type") == 1 and channel["recipients"][0]["id"] == str(user_id):
                return channel
        channel_id = next(self._ids)
        channel = {"id": str(channel_id), "type": 1, "recipients": [self.users[user_id]], "last_message_id": None}
        self.channels[channel_id] = channel
        if user_id in self.dm_closed:
            self.forbidden_channels.add(channel_id)
        return channel

    def dm_messages(self, user_id: int) -> list[dict[str, Any]]:
        ids = [
            c for c, ch in self.channels.items() if ch.get("type") == 1 and ch["recipients"][0]["id"] == str(user_id)
        ]
        return [m for c in ids for m in self.channel_messages(c)]

    def _message(
        self,
        channel_id: int,
        author: dict[str, Any],
        body: dict[str, Any],
        *,
        interaction: Interaction | None = None,
        reference: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        message_id = next(self._ids)
        channel = self.channels.get(channel_id, {})
        message: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "guild_id": channel.get("guild_id"),
            "author": author,
            "content": body.get("content") or "",
            "timestamp": "2026-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags", 0)),
        }
        if reference is not None:
            message["message_reference"] = reference
            message["type"] = 19
        if interaction is not None:
            message["application_id"] = str(self.application_id)
            message["webhook_id"] = str(self.application_id)
            message["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.kind,
                "user": self.users[interaction.user_id],
                "authorizing_integration_owners": {},
            }
        return message

    def _attachments(
        self,
        message: dict[str, Any] | None,
        body: dict[str, Any],
        uploads: list[Upload],
        limit: int,
        may_attach: int,
        channel_id: int = 0,
    ) -> list[dict[str, Any]] | None:
        """The message's attachments after this create or edit (None: unchanged). Discord's rules: uploading
        needs Attach Files where the message goes, each file within the limit there (413, code 40005), and
        an edit's `attachments` lists every file the message keeps: the existing ones not listed go."""
        if uploads and not may_attach:
            raise _Error(403, 50013, "Missing Permissions")
        try:
            check_uploads(body, uploads, limit)
        except TooLarge:
            raise _Error(413, 40005, "Request entity too large") from None
        if "attachments" not in body and not uploads:
            return None
        existing = {a["id"]: a for a in (message or {}).get("attachments", [])}
        listed = body.get("attachments") or []
        kept = [existing[str(a["id"])] for a in listed if "filename" not in a and str(a["id"]) in existing]
        channel_id = int(message["channel_id"]) if message else channel_id
        ordered = sorted(uploads, key=lambda u: u.index)
        made = [attachment(next(self._ids), u, channel_id, self.cdn_base) for u in ordered]
        return kept + made

    @staticmethod
    def _edit(message: dict[str, Any] | None, body: dict[str, Any], files: list[dict[str, Any]] | None = None) -> None:
        if message is None:
            raise _Error(404, 10008, "Unknown Message")
        if files is not None:
            message["attachments"] = files
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if "flags" in body and body["flags"] is not None:
            message["flags"] = (int(body["flags"]) & ~128) | (message["flags"] & 64)
        message["flags"] &= ~128  # an edit ends "thinking"
        message["edited_timestamp"] = "2026-01-01T00:00:01+00:00"


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON the way Discord sends it: `Content-Type: application/json`, no charset (discord.py checks)."""
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3
