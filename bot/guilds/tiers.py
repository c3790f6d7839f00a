"""Role tiers and grants, as a server's admins set them: a role's own member limits, and bonus videos for one member.
Every change is written with its audit entry. No Discord here."""

from __future__ import annotations

from datetime import datetime

from bot.clock import iso
from bot.guilds.quota import MEMBER_LIMITS, QuotaService
from bot.i18n import _
from bot.moderation.durations import parse_duration
from bot.notes import Note
from bot.store import Database, GuildStore

from .admin import AdminError, parse_limit

__all__ = ["GRANT_MAX", "TIER_MAX", "Tiers"]

TIER_MAX = 25  # tiered roles in one server: a member's tiers are read on every request
GRANT_MAX = 1000  # bonus videos in one grant


class Tiers:
    def __init__(self, db: Database, guilds: GuildStore, quota: QuotaService) -> None:
        self.db = db
        self.guilds = guilds
        self.quota = quota

    async def all(self, guild_id: int) -> dict[int, dict[str, int | None]]:
        return await self.quota.store.tiers(guild_id)

    async def set_tier(self, guild_id: int, actor_id: int, role_id: int, limits: dict[str, str]) -> Note:
        """A role's own member limits (`default` takes one back to the server's). A member with several tiered roles
        gets the most generous value of each."""
        if not limits:
            raise AdminError(_("Give at least one limit for the tier."))
        parsed: dict[str, int | None] = {}
        cleared: list[str] = []
        for name, text in limits.items():
            if name not in MEMBER_LIMITS:
                raise AdminError(_("Unknown limit `{name}`.").format(name=name))
            is_default, value = parse_limit(text)
            if is_default:
                cleared.append(name)
            else:
                parsed[name] = value
        tiers = await self.all(guild_id)
        if role_id not in tiers and len(tiers) >= TIER_MAX:
            raise AdminError(_("A server can have at most {n} tiers.").format(n=TIER_MAX))
        async with self.db.transaction() as tx:
            for name, value in parsed.items():
                await self.quota.store.set_tier(tx, guild_id, role_id, name, value)
            for name in cleared:
                await self.quota.store.clear_tier(tx, guild_id, role_id, name)
            note = Note("tier", {"role": role_id, "limits": parsed, "cleared": cleared})
            await self.guilds.audit(tx, guild_id, actor_id, "tier", note.dump())
        return note

    async def remove_tier(self, guild_id: int, actor_id: int, role_id: int) -> Note:
        async with self.db.transaction() as tx:
            removed = await self.quota.store.clear_tier(tx, guild_id, role_id)
            if not removed:
                raise AdminError(_("<@&{role}> has no tier.").format(role=role_id))
            note = Note("tier_removed", {"role": role_id})
            await self.guilds.audit(tx, guild_id, actor_id, "tier", note.dump())
        return note

    async def grant(self, guild_id: int, actor_id: int, user_id: int, amount: int, expires: str | None) -> Note:
        """Bonus videos for one member, used once their daily or monthly allowance is spent; refunded like any
        video. `expires`: a duration (7d, 2w…), or empty for never."""
        if not 1 <= amount <= GRANT_MAX:
            raise AdminError(_("Grant between 1 and {n} videos.").format(n=GRANT_MAX))
        try:
            lasts = parse_duration(expires)
        except ValueError as exc:
            raise AdminError(str(exc)) from None
        until: datetime | None = self.db.clock() + lasts if lasts is not None else None
        async with self.db.transaction() as tx:
            await self.quota.store.add_grant(tx, guild_id, user_id, amount, iso(until) if until else None, actor_id)
            note = Note("grant", {"member": user_id, "n": amount, "until": until.isoformat() if until else None})
            await self.guilds.audit(tx, guild_id, actor_id, "grant", note.dump())
        return note
