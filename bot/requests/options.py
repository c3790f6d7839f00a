"""A request's options, resolved once for every path (slash, button, form, reply, menu): what the member
chose, else the server's default (`/luma-admin settings`), else the bot's. No Discord here."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store import GuildSettings

__all__ = ["VideoOptions", "resolve_options"]


@dataclass(frozen=True, slots=True)
class VideoOptions:
    aspect_ratio: str
    loop: bool
    enhancement: bool


def resolve_options(
    settings: GuildSettings,
    bot_aspect_ratio: str,
    *,
    aspect_ratio: str | None = None,
    loop: bool | None = None,
    enhancement: bool | None = None,
) -> VideoOptions:
    return VideoOptions(
        aspect_ratio=aspect_ratio or settings.default_aspect_ratio or bot_aspect_ratio,
        loop=loop if loop is not None else bool(settings.default_loop),
        enhancement=enhancement if enhancement is not None else settings.default_enhancement is not False,
    )
