"""Who may make videos where: a guild's pause switch, channel list and role rule. No Discord here."""

from __future__ import annotations

from collections.abc import Collection

from bot.i18n import _, listing
from bot.store import GuildSettings

__all__ = ["access_refusal"]


def access_refusal(
    settings: GuildSettings,
    *,
    channel_id: int,
    role_ids: Collection[int],
    is_admin: bool,
    parent_id: int | None = None,
    age_restricted: bool = False,
) -> str | None:
    """A sentence saying why this member may not make a video here, or None when they may. A thread
    (`parent_id` = its channel) is allowed where its channel is, and is age-restricted when its channel is."""
    if settings.paused:
        return _("Video making is paused in this server by its admins.")
    if settings.age_restricted_only and not age_restricted:
        return _("In this server, videos can only be made in age-restricted channels.")
    allowed = settings.allowed_channels
    if allowed and channel_id not in allowed and (parent_id is None or parent_id not in allowed):
        where = listing([f"<#{c}>" for c in settings.allowed_channels[:10]])
        return _("Videos can only be made in {channels}.").format(channels=where)
    if settings.role_mode == "only" and settings.role_id and settings.role_id not in role_ids and not is_admin:
        return _("Only members with the <@&{role}> role can make videos here.").format(role=settings.role_id)
    return None
