"""What posting to Discord needs of the running bot, handed in by the app (bot/app/wiring.py): a narrow view, never
the bot itself, so that nothing here imports the app. Discord layer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import discord

from bot.clock import Clock
from bot.media import Links
from bot.store import GuildStore, MemberStore

__all__ = ["Languages", "Outbox"]


class Languages:
    """Which language the bot speaks where no member's locale is at hand: a server's public messages (its admins'
    choice, else its own locale, else English) and the owner's DMs (the owner's locale, once they used a command)."""

    def __init__(self, client: discord.Client, guilds: GuildStore, members: MemberStore | None = None) -> None:
        self.client = client
        self.guilds = guilds
        self.members = members
        self.owner: str | None = None  # set by the command tree when the application's owner uses a command

    def member(self, user_id: int, client_locale: str | None) -> str | None:
        """The language of what only this member is told: their own choice (`/luma settings`), else their client's."""
        prefs = self.members.known(user_id) if self.members is not None else None
        return (prefs.language if prefs is not None else None) or client_locale

    async def public(self, guild_id: int | None) -> str | None:
        """The language of a server's public messages (`/luma-admin settings language`, else Discord's
        preferred_locale of the server, else English)."""
        if guild_id is None:
            return None
        settings = await self.guilds.get(guild_id)
        if settings.language:
            return settings.language
        guild = self.client.get_guild(guild_id)
        return str(guild.preferred_locale) if guild is not None else None


@dataclass(frozen=True)
class Outbox:
    client: discord.Client  # sending, the cache (channels, permissions, guilds), DMs
    guilds: GuildStore  # a server's settings, and the channels noted as unusable
    links: Links  # which link of a video to show
    languages: Languages
    clock: Clock
    spawn: Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]]  # a background task, kept and logged
