"""Guild settings set by each guild's admins, and the audit log of every change."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.clock import from_iso
from bot.store.caching import FreshCache

from .db import Database, Tx

__all__ = ["AuditEntry", "ChannelProblem", "GuildSettings", "GuildStore"]


@dataclass(slots=True)
class GuildSettings:
    guild_id: int
    paused: bool = False
    allowed_channels: list[int] = field(default_factory=list)
    role_id: int | None = None
    role_mode: str | None = None  # 'only' (the role tiers replaced 'exempt': migration 0011)
    default_aspect_ratio: str | None = None
    default_loop: bool | None = None
    default_enhancement: bool | None = None
    mod_log_channel_id: int | None = None  # where requests, refusals and admin changes are posted
    mod_log_set_by: int | None = None  # the admin who chose it (told if the bot cannot post there)
    spoiler: bool = False  # results behind Discord's spoiler
    age_restricted_only: bool = False  # videos only in age-restricted channels (a thread: its parent's flag)
    language: str | None = None  # public messages in this Discord locale; None: the server's own
    private_allowed: bool = True  # members may make private videos here
    showcase_channel_id: int | None = None  # where results with enough stars are reposted (None: no showcase)
    showcase_stars: int | None = None  # how many stars that takes (None: SHOWCASE_STARS, 3)
    gallery_age_restricted: bool = False  # the web gallery shows videos made in age-restricted channels
    gallery_epoch: int = 0  # raised to revoke every gallery link signed before


@dataclass(frozen=True, slots=True)
class ChannelProblem:
    guild_id: int
    channel_id: int
    purpose: str  # mod_log | results | showcase
    missing: list[str]  # permissions, as discord.py names them
    noticed_at: datetime


@dataclass(slots=True)
class AuditEntry:
    user_id: int
    action: str
    detail: str
    created_at: datetime


_EDITABLE = {
    "paused",
    "allowed_channels",
    "role_id",
    "role_mode",
    "default_aspect_ratio",
    "default_loop",
    "default_enhancement",
    "mod_log_channel_id",
    "mod_log_set_by",
    "spoiler",
    "age_restricted_only",
    "language",
    "private_allowed",
    "showcase_channel_id",
    "showcase_stars",
    "gallery_age_restricted",
    "gallery_epoch",
}


class GuildStore:
    """Settings are read on every request and changed rarely: they are cached, and every change
    (which goes through `update`) drops the cached copy."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: FreshCache[int, GuildSettings] = FreshCache()
        self._problems: dict[tuple[int, int, str], str] | None = None

    async def get(self, guild_id: int) -> GuildSettings:
        cached = await self._cache.get(guild_id, lambda: self._load(guild_id))
        return replace(cached, allowed_channels=list(cached.allowed_channels))

    async def _load(self, guild_id: int) -> GuildSettings:
        row = await self.db.fetchone("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))
        if row is None:
            return GuildSettings(guild_id)

        def flag(value: Any) -> bool | None:
            return None if value is None else bool(value)

        return GuildSettings(
            guild_id=guild_id,
            paused=bool(row["paused"]),
            allowed_channels=[int(c) for c in json.loads(row["allowed_channels"])],
            role_id=row["role_id"],
            role_mode=row["role_mode"],
            default_aspect_ratio=row["default_aspect_ratio"],
            default_loop=flag(row["default_loop"]),
            default_enhancement=flag(row["default_enhancement"]),
            mod_log_channel_id=row["mod_log_channel_id"],
            mod_log_set_by=row["mod_log_set_by"],
            spoiler=bool(row["spoiler"]),
            age_restricted_only=bool(row["age_restricted_only"]),
            language=row["language"],
            private_allowed=bool(row["private_allowed"]),
            showcase_channel_id=row["showcase_channel_id"],
            showcase_stars=row["showcase_stars"],
            gallery_age_restricted=bool(row["gallery_age_restricted"]),
            gallery_epoch=int(row["gallery_epoch"]),
        )

    async def update(self, tx: Tx, guild_id: int, **changes: Any) -> None:
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"unknown guild settings: {sorted(unknown)}")
        self._cache.changing(guild_id, tx)
        await tx.execute(
            "INSERT INTO guild_settings (guild_id, updated_at) VALUES (?, ?) ON CONFLICT (guild_id) DO NOTHING",
            (guild_id, self.db.now()),
        )
        for name, value in changes.items():
            if name == "allowed_channels":
                value = json.dumps(sorted(set(value)))
            # the column name comes from the _EDITABLE whitelist above, never from input
            await tx.execute(
                f"UPDATE guild_settings SET {name} = ?, updated_at = ? WHERE guild_id = ?",
                (value, self.db.now(), guild_id),
            )

    async def showcase_guilds(self) -> list[int]:
        """The servers that have a showcase channel."""
        rows = await self.db.fetchall("SELECT guild_id FROM guild_settings WHERE showcase_channel_id IS NOT NULL")
        return [int(r["guild_id"]) for r in rows]

    async def audit(self, tx: Tx, guild_id: int, user_id: int, action: str, detail: str) -> None:
        await tx.execute(
            "INSERT INTO audit_log (guild_id, user_id, action, detail, created_at) VALUES (?, ?, ?, ?, ?)",
            (guild_id, user_id, action, detail, self.db.now()),
        )

    async def audit_log(self, guild_id: int, limit: int = 20) -> list[AuditEntry]:
        rows = await self.db.fetchall(
            "SELECT user_id, action, detail, created_at FROM audit_log WHERE guild_id = ? ORDER BY id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [AuditEntry(r["user_id"], r["action"], r["detail"], from_iso(r["created_at"])) for r in rows]

    # --- channels where the bot lacks what it needs ------------------------------------------------------

    async def _known_problems(self) -> dict[tuple[int, int, str], str]:
        """The problems noted, kept in memory after the first look: most posts find none, and need not write."""
        if self._problems is None:
            self._problems = {(p.guild_id, p.channel_id, p.purpose): ",".join(p.missing) for p in await self.problems()}
        return self._problems

    async def note_problem(self, guild_id: int, channel_id: int, purpose: str, missing: list[str]) -> bool:
        """Remember what the bot lacks in a channel for a purpose; True when this is news (not noted before with
        the same permissions missing): then, and only then, it is told."""
        known, key, text = await self._known_problems(), (guild_id, channel_id, purpose), ",".join(sorted(missing))
        if known.get(key) == text:
            return False
        async with self.db.transaction() as tx:
            await tx.execute(
                "DELETE FROM channel_problems WHERE guild_id = ? AND channel_id = ? AND purpose = ?",
                (guild_id, channel_id, purpose),
            )
            await tx.execute(
                "INSERT INTO channel_problems (guild_id, channel_id, purpose, missing, noticed_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (guild_id, channel_id, purpose, text, self.db.now()),
            )
        known[key] = text
        return True

    async def clear_problem(self, guild_id: int, channel_id: int, purpose: str) -> None:
        """A post there worked in full: the problem, if one was noted, is over."""
        known = await self._known_problems()
        if known.pop((guild_id, channel_id, purpose), None) is None:
            return
        await self.db.execute(
            "DELETE FROM channel_problems WHERE guild_id = ? AND channel_id = ? AND purpose = ?",
            (guild_id, channel_id, purpose),
        )

    async def problems(self) -> list[ChannelProblem]:
        rows = await self.db.fetchall(
            "SELECT guild_id, channel_id, purpose, missing, noticed_at FROM channel_problems ORDER BY noticed_at"
        )
        return [
            ChannelProblem(
                int(r["guild_id"]), int(r["channel_id"]), r["purpose"], r["missing"].split(","),
                from_iso(r["noticed_at"]),
            )
            for r in rows
        ]  # fmt: skip
