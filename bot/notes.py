"""What an admin changed, kept language-neutral: a key and its values. Stored as they are (the audit log) and put
into words only when someone reads them, in the reader's language (bot/ui/notes.py): the mod log in the server's,
`/luma-admin log` and the admin's own answer in the admin's. No Discord and no catalogs here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Note"]


@dataclass(frozen=True)
class Note:
    """`key` names the change (e.g. "limit"); `values` are plain JSON values (ids, numbers, booleans, text)."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def dump(self) -> str:
        """As the audit log keeps it."""
        return json.dumps({"note": self.key, "values": dict(self.values)}, ensure_ascii=False, sort_keys=True)

    @staticmethod
    def load(text: str) -> Note | None:
        """A note the audit log kept; None for an entry written before notes were kept this way (free text)."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("note"), str):
            return None
        values = data.get("values")
        return Note(data["note"], values if isinstance(values, dict) else {})
