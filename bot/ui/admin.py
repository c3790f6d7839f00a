"""What a server's admins read: the settings, the month's usage, and the log of their changes, each in the reader's
language (an admin change is kept language-neutral and rendered here: bot/ui/notes.py)."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n import _, ngettext
from bot.notes import Note
from bot.store import AuditEntry

from .messages import COLOR_OK, plain, timestamp
from .notes import (
    ROLE_MODES,
    action_label,
    allowed,
    channel_list,
    language_name,
    limit_value,
    on_off,
    render,
    tier_limits,
)

__all__ = ["audit_embed", "settings_embed", "tiers_embed", "usage_embed"]


def settings_embed(
    settings: Any, limits: Any, labels: dict[str, str], defaults: Any, defaults_stars: int = 3
) -> discord.Embed:
    embed = discord.Embed(title=_("⚙️ luma-bot settings for this server"), color=COLOR_OK)
    embed.add_field(name=_("State"), value=_("⏸️ paused") if settings.paused else _("▶️ running"), inline=True)
    embed.add_field(name=_("Channels"), value=channel_list(settings.allowed_channels)[:1024], inline=True)
    role = _("none")
    if settings.role_id and settings.role_mode:
        mode = _(ROLE_MODES[settings.role_mode]) if settings.role_mode in ROLE_MODES else settings.role_mode
        role = _("{role}: {rule}").format(role=f"<@&{settings.role_id}>", rule=mode)
    embed.add_field(name=_("Role rule"), value=role, inline=True)
    lines = []
    for name, label in labels.items():
        value = getattr(limits, name)
        default = getattr(defaults, name)
        note = "" if value == default else _(" (default {value})").format(value=limit_value(default))
        lines.append(_("{limit}: {value}{default}").format(limit=_(label), value=limit_value(value), default=note))
    embed.add_field(name=_("Limits"), value="\n".join(lines)[:1024], inline=False)
    options = _("aspect ratio {ratio}, loop {loop}, enhancement {enhancement}").format(
        ratio=settings.default_aspect_ratio or _("bot default"),
        loop=on_off(settings.default_loop),
        enhancement=on_off(settings.default_enhancement is not False),
    )
    embed.add_field(name=_("Default options"), value=options, inline=False)
    moderation = _(
        "mod log: {mod_log} · spoiler: {spoiler} · age-restricted channels only: {age} · language: {language}"
    ).format(
        mod_log=f"<#{settings.mod_log_channel_id}>" if settings.mod_log_channel_id else _("off"),
        spoiler=on_off(settings.spoiler),
        age=on_off(settings.age_restricted_only),
        language=language_name(settings.language),
    )
    embed.add_field(name=_("Moderation"), value=moderation, inline=False)
    embed.add_field(name=_("Members' private videos"), value=allowed(settings.private_allowed), inline=True)
    showcase = _("{channel} · ⭐ {stars} · age-restricted videos in the gallery: {age}").format(
        channel=f"<#{settings.showcase_channel_id}>" if settings.showcase_channel_id else _("off"),
        stars=settings.showcase_stars or defaults_stars,
        age=on_off(settings.gallery_age_restricted),
    )
    embed.add_field(name=_("Showcase"), value=showcase, inline=False)
    return embed


def tiers_embed(tiers: dict[int, dict[str, int | None]]) -> discord.Embed:
    """/luma-admin tier list: each tiered role's own limits (the rest are the server's)."""
    lines = [f"<@&{role}>: {tier_limits(own)}" for role, own in sorted(tiers.items())]
    embed = discord.Embed(
        title=_("🎚️ Role tiers ({n})").format(n=len(tiers)),
        description="\n".join(lines)[:4000] or _("No role has limits of its own: every member has the server's."),
        color=COLOR_OK,
    )
    embed.set_footer(
        text=_(
            "A member with several tiered roles gets the most generous value of each. The server's own daily, "
            "monthly and in-progress caps still hold for everyone."
        )
    )
    return embed


def _blocked(block: Any) -> str:
    """A member block as the audit log words it (until when, and why)."""
    until = block.until.isoformat() if block.until else None
    reason = plain(block.reason, 80) if block.reason else None
    return render(Note("blocked", {"member": block.user_id, "until": until, "reason": reason}))


def usage_embed(
    month: str,
    rows: list[tuple[int, int]],
    wallet: Any,
    blocked: list[Any],
    server_videos: int,
    bot_videos: int,
    private_videos: int = 0,
) -> discord.Embed:
    """/luma-admin usage: this month's videos (and spend, when VIDEO_PRICE is set) by member, the blocked
    members, and the bot-wide budget."""

    def cost(videos: int) -> str:
        spend = wallet.spend(videos)
        return "" if spend is None else f" · {wallet.shown(spend)}"

    lines = [f"**{i}.** <@{user}>: {n}{cost(n)}" for i, (user, n) in enumerate(rows, start=1)]
    embed = discord.Embed(
        title=_("📊 Usage in {month}").format(month=month), description="\n".join(lines) or _("No videos this month.")
    )
    server = ngettext("{n} video", "{n} videos", server_videos).format(n=server_videos)
    if private_videos:
        server = _("{videos} ({private} private)").format(videos=server, private=private_videos)
    embed.add_field(name=_("This server"), value=f"{server}{cost(server_videos)}", inline=True)
    if wallet.budget is not None:
        spent = wallet.spend(bot_videos) or 0.0
        embed.add_field(
            name=_("The bot's monthly budget"),
            value=_("{spent} of {budget} ({percent}%)").format(
                spent=wallet.shown(spent),
                budget=wallet.shown(wallet.budget),
                percent=round(100 * spent / wallet.budget),
            ),
            inline=True,
        )
    if blocked:
        shown = [_blocked(b) for b in blocked[:15]]
        more = "\n" + _("…and {n} more").format(n=len(blocked) - 15) if len(blocked) > 15 else ""
        title = _("Blocked ({n})").format(n=len(blocked))
        embed.add_field(name=title, value=("\n".join(shown) + more)[:1024], inline=False)
    embed.set_footer(text=_("Videos charged or in progress (refunds not counted)"))
    return embed


def audit_embed(entries: list[AuditEntry]) -> discord.Embed:
    """/luma-admin log: who changed what, and when, newest first, in the reader's language."""

    def change(entry: AuditEntry) -> str:
        note = Note.load(entry.detail)
        return render(note) if note is not None else entry.detail  # (an entry from before notes were kept)

    lines = [
        _("{when} {who} **{action}**: {change}").format(
            when=timestamp(e.created_at, "f"), who=f"<@{e.user_id}>", action=action_label(e.action), change=change(e)
        )
        for e in entries
    ]
    return discord.Embed(title=_("📜 Admin log"), description="\n".join(lines)[:4000] or _("No changes yet."))
