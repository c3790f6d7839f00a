"""How long a block or a grant lasts, as admins type it: 30m, 12h, 7d, 2w, 1d12h, or permanent. No Discord here."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.i18n import _

__all__ = ["DURATION_MAX", "parse_duration"]

DURATION_MAX = timedelta(days=366)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)\s*(min|m|h|d|w)")
_FOREVER = {"", "permanent", "forever", "none", "never", "indefinite"}


def parse_duration(text: str | None) -> timedelta | None:
    """The duration, or None for no end (a block until unblocked, a grant that never expires); ValueError with a
    sentence for the admin."""
    cleaned = (text or "").strip().lower().replace(" ", "")
    if cleaned in _FOREVER:
        return None
    parts = _PART.findall(cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise ValueError(
            _("Give a duration like `30m`, `12h`, `7d`, `2w` or `1d12h`, or leave it empty for permanent.")
        )
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(_("A duration is at least a minute."))
    if seconds > DURATION_MAX.total_seconds():
        raise ValueError(_("A duration is at most a year; leave it empty for permanent."))
    return timedelta(seconds=seconds)
