"""A request's options, resolved once for every path (slash, button, form, reply, menu): what the member typed in
the command, else the member's own default (`/luma settings`), else the server's (`/luma-admin settings`), else the
bot's. No Discord here."""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import InputError
from bot.i18n import N_, _
from bot.store import GuildSettings, MemberPrefs

__all__ = ["PRIVATE_REFUSED", "VideoOptions", "resolve_options"]

PRIVATE_REFUSED = N_("This server does not allow private videos: this one will be posted in the channel.")


@dataclass(frozen=True, slots=True)
class VideoOptions:
    aspect_ratio: str
    loop: bool
    enhancement: bool
    spoiler: bool = False
    private: bool = False
    private_refused: bool = False  # the member's default is private, and this server does not allow it


def resolve_options(
    settings: GuildSettings,
    bot_aspect_ratio: str,
    prefs: MemberPrefs | None = None,
    *,
    aspect_ratio: str | None = None,
    loop: bool | None = None,
    enhancement: bool | None = None,
    spoiler: bool | None = None,
    private: bool | None = None,
) -> VideoOptions:
    """A spoiler the server asks for stays (a member's default may add one, never take the server's away); a
    private video the member typed in a server that does not allow them is refused with a sentence, while one that
    is only their default is made in the open (`private_refused`: they are told)."""
    prefs = prefs or MemberPrefs()

    def pick(typed: bool | None, mine: bool | None, server: bool | None, bot: bool) -> bool:
        for value in (typed, mine, server):
            if value is not None:
                return value
        return bot

    wanted = pick(private, prefs.private, None, False)
    if wanted and private and not settings.private_allowed:
        raise InputError(_("This server does not allow private videos."))
    return VideoOptions(
        aspect_ratio=aspect_ratio or prefs.aspect_ratio or settings.default_aspect_ratio or bot_aspect_ratio,
        loop=pick(loop, prefs.loop, settings.default_loop, False),
        enhancement=pick(enhancement, prefs.enhancement, settings.default_enhancement, True),
        spoiler=spoiler if spoiler is not None else bool(prefs.spoiler) or settings.spoiler,
        private=wanted and settings.private_allowed,
        private_refused=wanted and not settings.private_allowed,
    )
