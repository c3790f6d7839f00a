"""What a guild's admins can change; every change is written with its audit entry. No Discord here."""

from __future__ import annotations

from typing import Any

from bot.config import ASPECT_RATIOS
from bot.errors import MemberError
from bot.guilds.quota import FLOORS, LIMIT_LABELS, QuotaService
from bot.i18n import _, listing
from bot.notes import Note
from bot.store import Database, GuildStore

__all__ = ["AdminError", "GuildAdmin", "parse_limit"]


class AdminError(MemberError):
    """An admin's input could not be applied; the message says why."""


def parse_limit(text: str) -> tuple[bool, int | None]:
    """(is_default, value): 'default' restores the bot-wide default, 'none' is unlimited, 0 closes."""
    lowered = text.strip().lower()
    if lowered in {"default", "reset"}:
        return True, None
    if lowered in {"none", "unlimited", "off", "∞"}:
        return False, None
    try:
        value = int(lowered)
    except ValueError:
        raise AdminError(_("Give a whole number, `0` to close, `none` for unlimited, or `default`.")) from None
    if not 0 <= value <= 1_000_000:
        raise AdminError(_("A limit must be between 0 and 1,000,000."))
    return False, value


class GuildAdmin:
    def __init__(self, db: Database, guilds: GuildStore, quota: QuotaService) -> None:
        self.db = db
        self.guilds = guilds
        self.quota = quota

    async def _change(self, guild_id: int, actor_id: int, action: str, note: Note, **settings: Any) -> Note:
        async with self.db.transaction() as tx:
            if settings:
                await self.guilds.update(tx, guild_id, **settings)
            await self.guilds.audit(tx, guild_id, actor_id, action, note.dump())
        return note

    async def set_limit(self, guild_id: int, actor_id: int, name: str, text: str) -> Note:
        if name not in LIMIT_LABELS:
            raise AdminError(_("Unknown limit `{name}`.").format(name=name))
        is_default, value = parse_limit(text)
        ceiling = getattr(self.quota.defaults, name)
        if not is_default and self.quota.defaults.looser(name, value):
            if name in FLOORS:
                raise AdminError(
                    _("The bot's owner set {label} to at least {ceiling}: a server can make it stricter, not looser.")
                    .format(label=_(LIMIT_LABELS[name]), ceiling=ceiling)
                )  # fmt: skip
            raise AdminError(
                _("The bot's owner allows at most {ceiling} {label}: a server can make it stricter, not looser.")
                .format(label=_(LIMIT_LABELS[name]), ceiling=ceiling)
            )  # fmt: skip
        before = getattr(await self.quota.limits(guild_id), name)
        async with self.db.transaction() as tx:
            if is_default:
                await self.quota.store.clear_override(tx, guild_id, name)
                value = getattr(self.quota.defaults, name)
            else:
                await self.quota.store.set_override(tx, guild_id, name, value)
            note = Note("limit", {"name": name, "before": before, "after": value, "default": is_default})
            await self.guilds.audit(tx, guild_id, actor_id, "quota", note.dump())
        return note

    async def set_channels(
        self,
        guild_id: int,
        actor_id: int,
        *,
        allow: int | None = None,
        disallow: int | None = None,
        everywhere: bool = False,
    ) -> Note:
        current = set((await self.guilds.get(guild_id)).allowed_channels)
        if everywhere:
            current.clear()
        if allow is not None:
            current.add(allow)
        if disallow is not None:
            current.discard(disallow)
        note = Note("channels", {"channels": sorted(current)})
        return await self._change(guild_id, actor_id, "channels", note, allowed_channels=sorted(current))

    async def set_role(self, guild_id: int, actor_id: int, role_id: int | None, mode: str) -> Note:
        if mode not in ("only", "none"):
            raise AdminError(_("The role mode is only or none."))
        if mode != "none" and role_id is None:
            raise AdminError(_("Pick the role too."))
        if mode == "none":
            return await self._change(
                guild_id, actor_id, "role", Note("role", {"mode": "none"}), role_id=None, role_mode=None
            )
        note = Note("role", {"mode": mode, "role": role_id})
        return await self._change(guild_id, actor_id, "role", note, role_id=role_id, role_mode=mode)

    async def set_defaults(
        self,
        guild_id: int,
        actor_id: int,
        *,
        aspect_ratio: str | None = None,
        loop: bool | None = None,
        enhancement: bool | None = None,
    ) -> Note:
        changes: dict[str, Any] = {}
        if aspect_ratio is not None:
            if aspect_ratio not in ASPECT_RATIOS:
                raise AdminError(
                    _("The aspect ratio must be one of {ratios}.").format(ratios=listing(list(ASPECT_RATIOS)))
                )
            changes["default_aspect_ratio"] = aspect_ratio
        if loop is not None:
            changes["default_loop"] = int(loop)
        if enhancement is not None:
            changes["default_enhancement"] = int(enhancement)
        if not changes:
            raise AdminError(_("Nothing to change: give an aspect ratio, loop or enhancement."))
        note = Note(
            "defaults",
            {k.removeprefix("default_"): v if k == "default_aspect_ratio" else bool(v) for k, v in changes.items()},
        )
        return await self._change(guild_id, actor_id, "defaults", note, **changes)

    async def set_moderation(
        self,
        guild_id: int,
        actor_id: int,
        *,
        mod_log_channel: int | None = None,
        stop_mod_log: bool = False,
        spoiler: bool | None = None,
        age_restricted_only: bool | None = None,
        language: str | None = None,
        private_allowed: bool | None = None,
    ) -> Note:
        changes: dict[str, Any] = {}
        values: dict[str, Any] = {}
        if private_allowed is not None:
            changes["private_allowed"], values["private_allowed"] = int(private_allowed), private_allowed
        if stop_mod_log:
            changes["mod_log_channel_id"] = values["mod_log"] = None
        elif mod_log_channel is not None:
            changes["mod_log_channel_id"] = values["mod_log"] = mod_log_channel
            changes["mod_log_set_by"] = actor_id
        if spoiler is not None:
            changes["spoiler"], values["spoiler"] = int(spoiler), spoiler
        if age_restricted_only is not None:
            changes["age_restricted_only"], values["age_restricted_only"] = (
                int(age_restricted_only),
                age_restricted_only,
            )
        if language is not None:
            changes["language"] = values["language"] = language or None
        if not changes:
            raise AdminError(_("Nothing to change."))
        return await self._change(guild_id, actor_id, "moderation", Note("moderation", values), **changes)

    async def set_showcase(
        self,
        guild_id: int,
        actor_id: int,
        *,
        channel: int | None = None,
        off: bool = False,
        stars: int | None = None,
        gallery_age_restricted: bool | None = None,
    ) -> Note:
        """The showcase channel (or none), the stars it takes, and whether the gallery shows age-restricted videos."""
        changes: dict[str, Any] = {}
        values: dict[str, Any] = {}
        if off:
            changes["showcase_channel_id"] = values["channel"] = None
        elif channel is not None:
            changes["showcase_channel_id"] = values["channel"] = channel
        if stars is not None:
            changes["showcase_stars"] = values["stars"] = stars
        if gallery_age_restricted is not None:
            changes["gallery_age_restricted"] = int(gallery_age_restricted)
            values["gallery_age_restricted"] = gallery_age_restricted
        if not changes:
            raise AdminError(_("Nothing to change."))
        return await self._change(guild_id, actor_id, "showcase", Note("showcase", values), **changes)

    async def showcase_removed(self, guild_id: int, actor_id: int, video_id: str) -> Note:
        return await self._change(guild_id, actor_id, "showcase", Note("showcase_removed", {"video": video_id}))

    async def revoke_gallery(self, guild_id: int, actor_id: int) -> Note:
        """Every gallery link of this server signed until now stops working (they carry the old epoch)."""
        epoch = (await self.guilds.get(guild_id)).gallery_epoch + 1
        note = Note("gallery_revoked", {"epoch": epoch})
        return await self._change(guild_id, actor_id, "gallery", note, gallery_epoch=epoch)

    async def set_paused(self, guild_id: int, actor_id: int, paused: bool) -> Note:
        note = Note("paused", {"paused": paused})
        return await self._change(guild_id, actor_id, "pause" if paused else "resume", note, paused=int(paused))
