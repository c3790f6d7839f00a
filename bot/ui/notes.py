"""An admin's change, put into words in the current language: for the admin's own answer, the mod log (in the
server's language) and `/luma-admin log` (in the reader's). The change itself is kept language-neutral
(bot/notes.py), so one entry reads right in every language, whoever made it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.guilds.quota import LIMIT_LABELS
from bot.i18n import N_, _, clauses, listing, ngettext
from bot.notes import Note

from .messages import timestamp

__all__ = [
    "LANGUAGE_NAMES",
    "ROLE_MODES",
    "action_label",
    "allowed",
    "channel_list",
    "language_name",
    "limit_value",
    "on_off",
    "render",
    "render_all",
    "tier_limits",
]

# each language by its own name, as Discord's language menu shows it
LANGUAGE_NAMES = {"en-US": "English", "zh-CN": "简体中文", "zh-TW": "繁體中文"}
# "exempt" is only in audit entries written before the role tiers replaced it (migration 0011)
ROLE_MODES = {"exempt": N_("exempt from member limits"), "only": N_("the only ones allowed to make videos")}
# what `/luma-admin log` names each kind of change (the audit log's action)
ACTIONS = {
    "quota": N_("Limit"),
    "channels": N_("Channels"),
    "role": N_("Role rule"),
    "defaults": N_("Default options"),
    "moderation": N_("Moderation"),
    "pause": N_("Pause"),
    "resume": N_("Resume"),
    "blocklist": N_("Blocklist"),
    "block": N_("Block"),
    "unblock": N_("Unblock"),
    "tier": N_("Tier"),
    "grant": N_("Grant"),
    "showcase": N_("Showcase"),
    "gallery": N_("Gallery"),
}


def action_label(action: str) -> str:
    return _(ACTIONS[action]) if action in ACTIONS else _("Other change")


def on_off(flag: bool | None) -> str:
    return _("on") if flag else _("off")


def language_name(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "") if code else _("the server's own")


def limit_value(value: int | None) -> str:
    """A limit's value as shown: a number, or "unlimited"."""
    return _("unlimited") if value is None else str(value)


def channel_list(channel_ids: Iterable[int]) -> str:
    """The channels videos may be made in, the language's way; none listed means every channel."""
    return listing([f"<#{c}>" for c in channel_ids]) or _("every channel")


def _limit(v: Mapping[str, Any]) -> str:
    label_text = LIMIT_LABELS.get(str(v.get("name")))
    label = _(label_text) if label_text is not None else str(v.get("name"))
    text = _("{limit}: {before} → {after}").format(
        limit=label, before=limit_value(v.get("before")), after=limit_value(v.get("after"))
    )
    return _("{change} (the bot's default)").format(change=text) if v.get("default") else text


def _channels(v: Mapping[str, Any]) -> str:
    return _("videos allowed in: {channels}").format(channels=channel_list(v.get("channels", [])))


def _role(v: Mapping[str, Any]) -> str:
    if v.get("mode") == "exempt":
        return _("members of <@&{role}> are exempt from member limits").format(role=v.get("role"))
    if v.get("mode") == "only":
        return _("only members of <@&{role}> may make videos").format(role=v.get("role"))
    return _("role rule removed")


def _defaults(v: Mapping[str, Any]) -> str:
    parts = []
    if "aspect_ratio" in v:
        parts.append(_("default aspect ratio: {ratio}").format(ratio=v["aspect_ratio"]))
    if "loop" in v:
        parts.append(_("loop by default: {state}").format(state=on_off(v["loop"])))
    if "enhancement" in v:
        parts.append(_("prompt enhancement by default: {state}").format(state=on_off(v["enhancement"])))
    return clauses(*parts)


def _moderation(v: Mapping[str, Any]) -> str:
    parts = []
    if "mod_log" in v:
        channel = v["mod_log"]
        parts.append(_("mod log in <#{channel}>").format(channel=channel) if channel else _("mod log off"))
    if "spoiler" in v:
        parts.append(_("results behind a spoiler: {state}").format(state=on_off(v["spoiler"])))
    if "age_restricted_only" in v:
        parts.append(_("age-restricted channels only: {state}").format(state=on_off(v["age_restricted_only"])))
    if "language" in v:
        parts.append(_("language of public messages: {language}").format(language=language_name(v["language"])))
    if "private_allowed" in v:
        parts.append(_("members' private videos: {state}").format(state=allowed(v["private_allowed"])))
    return clauses(*parts)


def _showcase(v: Mapping[str, Any]) -> str:
    parts = []
    if "channel" in v:
        channel = v["channel"]
        parts.append(_("showcase in <#{channel}>").format(channel=channel) if channel else _("showcase off"))
    if "stars" in v:
        parts.append(_("stars a result needs for the showcase: {n}").format(n=v["stars"]))
    if "gallery_age_restricted" in v:
        state = on_off(v["gallery_age_restricted"])
        parts.append(_("age-restricted channels' videos in the gallery: {state}").format(state=state))
    return clauses(*parts)


def allowed(flag: bool | None) -> str:
    return _("allowed") if flag else _("not allowed")


def tier_limits(limits: Mapping[str, int | None]) -> str:
    """A tier's limits, each named as members read it: "videos per day for each member: 20; …"."""
    return clauses(
        *(
            _("{limit}: {value}").format(limit=_(LIMIT_LABELS[name]), value=limit_value(value))
            for name, value in limits.items()
            if name in LIMIT_LABELS
        )
    )


def _tier(v: Mapping[str, Any]) -> str:
    parts = [tier_limits(v.get("limits") or {})] if v.get("limits") else []
    for name in v.get("cleared") or []:
        if name in LIMIT_LABELS:
            parts.append(_("{limit}: the server's").format(limit=_(LIMIT_LABELS[name])))
    return _("tier of <@&{role}>: {limits}").format(role=v.get("role"), limits=clauses(*parts))


def _grant(v: Mapping[str, Any]) -> str:
    text = ngettext("granted <@{member}> {n} bonus video", "granted <@{member}> {n} bonus videos", v["n"]).format(
        member=v.get("member"), n=v["n"]
    )
    until = v.get("until")
    if until:
        return _("{change}, until {when}").format(change=text, when=timestamp(datetime.fromisoformat(until), "f"))
    return text


def _blocked(v: Mapping[str, Any]) -> str:
    until = v.get("until")
    when = (
        _("until {when}").format(when=timestamp(datetime.fromisoformat(until), "f")) if until else _("until unblocked")
    )
    text = _("blocked <@{member}> {until}").format(member=v.get("member"), until=when)
    return _("{change}: {reason}").format(change=text, reason=v["reason"]) if v.get("reason") else text


_RENDER: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "limit": _limit,
    "channels": _channels,
    "role": _role,
    "defaults": _defaults,
    "moderation": _moderation,
    "paused": lambda v: _("video making paused") if v.get("paused") else _("video making resumed"),
    "blocklist_added": lambda v: ngettext(
        "added {n} term to the blocklist", "added {n} terms to the blocklist", v["n"]
    ).format(n=v["n"]),
    "blocklist_unchanged": lambda v: _("the blocklist already had those terms"),
    "blocklist_removed": lambda v: ngettext(
        "removed {n} term from the blocklist", "removed {n} terms from the blocklist", v["n"]
    ).format(n=v["n"]),
    "blocked": _blocked,
    "tier": _tier,
    "tier_removed": lambda v: _("tier of <@&{role}> removed").format(role=v.get("role")),
    "grant": _grant,
    "unblocked": lambda v: _("unblocked <@{member}>").format(member=v.get("member")),
    "showcase": _showcase,
    "showcase_removed": lambda v: _("`{video}` taken out of the showcase").format(video=v.get("video")),
    "gallery_revoked": lambda v: _("every gallery link given until now revoked"),
    "line_left": lambda v: ngettext(
        "{n} waiting request left the line, refunded", "{n} waiting requests left the line, refunded", v["n"]
    ).format(n=v["n"]),
}


def render(note: Note) -> str:
    """The note in the current language; a key this version does not know is named, never dropped."""
    draw = _RENDER.get(note.key)
    try:
        return draw(note.values) if draw is not None else note.key
    except (KeyError, TypeError, ValueError):
        return note.key


def render_all(notes: Iterable[Note]) -> str:
    return clauses(*(render(n) for n in notes))
