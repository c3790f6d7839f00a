"""What a member reads about themselves: their own defaults (`/luma settings`), and their tier and bonus videos in
`/luma quota`. Each in the member's language."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n import N_, _, clauses, listing, ngettext
from bot.store import GuildSettings, MemberPrefs

from .messages import COLOR_OK, timestamp
from .notes import language_name, on_off

__all__ = ["chosen_defaults", "member_settings_embed", "with_member_fields"]


def _choice(mine: Any, shown: str, server: str) -> str:
    """A default as the member reads it: theirs, or the server's where they chose nothing."""
    return (
        _("{value} (yours)").format(value=shown)
        if mine is not None
        else _("{value} (this server's)").format(value=server)
    )


def member_settings_embed(prefs: MemberPrefs, settings: GuildSettings, bot_aspect_ratio: str) -> discord.Embed:
    """/luma settings: each default, whose it is, and what this server does not allow."""
    embed = discord.Embed(title=_("⚙️ Your defaults"), color=COLOR_OK)
    server_ratio = settings.default_aspect_ratio or bot_aspect_ratio
    rows = [
        (_("Aspect ratio"), _choice(prefs.aspect_ratio, prefs.aspect_ratio or "", server_ratio)),
        (_("Loop"), _choice(prefs.loop, on_off(prefs.loop), on_off(settings.default_loop))),
        (
            _("Prompt enhancement"),
            _choice(prefs.enhancement, on_off(prefs.enhancement), on_off(settings.default_enhancement is not False)),
        ),
        (_("Spoiler"), _choice(prefs.spoiler, on_off(prefs.spoiler), on_off(settings.spoiler))),
        (_("Private"), _choice(prefs.private, on_off(prefs.private), on_off(False))),
        (_("Language of my answers to you"), language_name(prefs.language) if prefs.language else _("your Discord's")),
    ]
    for name, value in rows:
        embed.add_field(name=name, value=value, inline=True)
    if prefs.private and not settings.private_allowed:
        embed.add_field(
            name=_("Not here"),
            value=_("This server does not allow private videos: here yours are posted in the channel."),
            inline=False,
        )
    if prefs.spoiler is False and settings.spoiler:
        embed.add_field(name=_("Not here"), value=_("This server posts every result behind a spoiler."), inline=False)
    embed.set_footer(text=_("What you choose in a command wins over these. They apply in every server with this bot."))
    return embed


def chosen_defaults(prefs: MemberPrefs) -> str | None:
    """The defaults a member chose, in one line ("aspect ratio 9:16; loop on"), or None when they chose none."""
    parts = []
    if prefs.aspect_ratio:
        parts.append(_("aspect ratio {ratio}").format(ratio=prefs.aspect_ratio))
    for name, label in (
        ("loop", N_("loop {state}")),
        ("enhancement", N_("enhancement {state}")),
        ("spoiler", N_("spoiler {state}")),
        ("private", N_("private {state}")),
    ):
        if getattr(prefs, name) is not None:
            parts.append(_(label).format(state=on_off(getattr(prefs, name))))
    if prefs.language:
        parts.append(_("answers in {language}").format(language=language_name(prefs.language)))
    return clauses(*parts) if parts else None


def with_member_fields(embed: discord.Embed, status: Any, prefs: MemberPrefs | None = None) -> discord.Embed:
    """/luma quota: the member's tier (the roles whose limits they get), bonus videos and own defaults."""
    if status.tier_roles:
        roles = listing([f"<@&{role}>" for role in status.tier_roles])
        embed.add_field(name=_("Your tier"), value=_("the limits of {roles}").format(roles=roles), inline=False)
    if status.bonus:
        lines = []
        for bonus in status.bonus:
            left = ngettext("{n} bonus video left", "{n} bonus videos left", bonus.left).format(n=bonus.left)
            if bonus.expires_at is not None:
                left = _("{left}, until {when}").format(left=left, when=timestamp(bonus.expires_at))
            lines.append(left)
        text = "\n".join(lines) + "\n" + _("Used once your daily allowance is spent.")
        embed.add_field(name=_("Bonus videos"), value=text[:1024], inline=False)
    if prefs is not None and (mine := chosen_defaults(prefs)):
        embed.add_field(
            name=_("Your defaults"), value=_("{defaults} (change them: /luma settings)").format(defaults=mine)
        )
    return embed
