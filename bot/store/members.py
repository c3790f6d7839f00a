"""A member's own defaults (`/luma settings`), the same in every server. Few members choose any: every choice is
read once and kept in memory, so that a request pays nothing for it before Discord's 3 seconds are up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, fields, replace
from typing import Any

from .db import Database

__all__ = ["MemberPrefs", "MemberStore"]


@dataclass(frozen=True, slots=True)
class MemberPrefs:
    """None: not chosen (the server's default applies)."""

    aspect_ratio: str | None = None
    loop: bool | None = None
    enhancement: bool | None = None
    spoiler: bool | None = None
    private: bool | None = None
    language: str | None = None  # the language of what only they are told, instead of their Discord client's

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


NAMES = tuple(f.name for f in fields(MemberPrefs))
_FLAGS = ("loop", "enhancement", "spoiler", "private")
_COLUMNS = ", ".join(NAMES)
_MARKS = ", ".join("?" for _ in NAMES)
_UPSERT = (
    f"INSERT INTO member_prefs (user_id, {_COLUMNS}, updated_at) VALUES (?, {_MARKS}, ?)"
    " ON CONFLICT (user_id) DO UPDATE"
    " SET " + ", ".join(f"{name} = excluded.{name}" for name in NAMES) + ", updated_at = excluded.updated_at"
)


def _from_row(row: Any) -> MemberPrefs:
    values = {name: row[name] for name in NAMES}
    for name in _FLAGS:
        values[name] = None if values[name] is None else bool(values[name])
    return MemberPrefs(**values)


class MemberStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._all: dict[int, MemberPrefs] | None = None
        self._loading = asyncio.Lock()

    async def load(self) -> dict[int, MemberPrefs]:
        """Every member's choices, read once (build_services does it at start, so none is awaited later)."""
        async with self._loading:
            if self._all is None:
                rows = await self.db.fetchall(f"SELECT user_id, {_COLUMNS} FROM member_prefs")
                self._all = {int(r["user_id"]): _from_row(r) for r in rows}
        return self._all

    async def get(self, user_id: int) -> MemberPrefs:
        known = self._all if self._all is not None else await self.load()
        return known.get(user_id) or MemberPrefs()

    def known(self, user_id: int) -> MemberPrefs | None:
        """Without a wait: the member's choices once they have been read (build_services reads them at start)."""
        return self._all.get(user_id) if self._all is not None else None

    async def set(self, user_id: int, **changes: Any) -> MemberPrefs:
        """Change some choices (a value of None forgets that one); returns all of them."""
        unknown = set(changes) - set(NAMES)
        if unknown:
            raise ValueError(f"unknown member settings: {sorted(unknown)}")
        known = await self.load()
        prefs = replace(known.get(user_id) or MemberPrefs(), **changes)
        if prefs.empty:
            await self.db.execute("DELETE FROM member_prefs WHERE user_id = ?", (user_id,))
            known.pop(user_id, None)
            return prefs
        values = [getattr(prefs, name) for name in NAMES]
        values = [int(v) if isinstance(v, bool) else v for v in values]
        await self.db.execute(_UPSERT, (user_id, *values, self.db.now()))
        known[user_id] = prefs
        return prefs
