"""A per-key cache of what the database says, that never keeps a value read while it was being changed.

With one SQLite connection a read waits for the write in progress; with a pool of PostgreSQL connections a read
may run during another connection's transaction and see the row from before it. So every change bumps the key's
version when it starts and again once committed, and a value loaded while the version moved is returned but not
kept. No Discord here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["FreshCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class FreshCache(Generic[K, V]):
    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        self._versions: Counter[K] = Counter()

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        if key in self._values:
            return self._values[key]
        version = self._versions[key]
        value = await load()
        if self._versions[key] == version:
            self._values[key] = value
        return value

    def invalidate(self, key: K) -> None:
        self._versions[key] += 1
        self._values.pop(key, None)

    def changing(self, key: K, tx: Any) -> None:
        """`key` is being changed in the open transaction `tx`: forget it now and again once it commits."""
        self.invalidate(key)
        tx.after_commit(lambda: self.invalidate(key))
