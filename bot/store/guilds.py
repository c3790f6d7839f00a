"""Guild settings set by each guild's admins, and the audit log of every change."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.caching import FreshCache
from bot.clock import from_iso

from .db import Database, Tx

__all__ = ["AuditEntry", "GuildSettings", "GuildStore"]


@dataclass(slots=True)
class GuildSettings:
    guild_id: int
    paused: bool = False
    allowed_channels: list[int] = field(default_factory=list)
    role_id: int | None = None
    role_mode: str | None = None  # 'exempt' | 'only'
    default_aspect_ratio: str | None = None
    default_loop: bool | None = None
    default_enhancement: bool | None = None
    mod_log_channel_id: int | None = None  # where requests, refusals and admin changes are posted
    spoiler: bool = False  # results behind Discord's spoiler
    age_restricted_only: bool = False  # videos only in age-restricted channels (a thread: its parent's flag)
    language: str | None = None  # public messages in this Discord locale; None: the server's own


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
    "spoiler",
    "age_restricted_only",
    "language",
}


class GuildStore:
    """Settings are read on every request and changed rarely: they are cached, and every change
    (which goes through `update`) drops the cached copy."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: FreshCache[int, GuildSettings] = FreshCache()

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
            spoiler=bool(row["spoiler"]),
            age_restricted_only=bool(row["age_restricted_only"]),
            language=row["language"],
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
