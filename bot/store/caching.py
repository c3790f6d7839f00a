"""A per-key cache of what the database says, that never keeps a value read while it was being changed.

With one SQLite connection a read waits for the write in progress; with a pool of PostgreSQL connections a read
may run during another connection's transaction and see the row from before it. So every change bumps the key's
version when it starts and again once committed, and a value loaded while the version moved is returned but not
kept. Gets of one key at the same version share one load: a burst of members on a cold cache (after a start)
asks the database once, not once each. No Discord here.
"""

from __future__ import annotations

import asyncio
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
        self._loading: dict[K, tuple[int, asyncio.Future[V]]] = {}

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        if key in self._values:
            return self._values[key]
        version = self._versions[key]
        under_way = self._loading.get(key)
        if under_way is not None and under_way[0] == version:
            try:
                return await asyncio.shield(under_way[1])  # one waiter cancelled does not cancel the others' load
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not under_way[1].cancelled() or (task is not None and task.cancelling()):
                    raise  # this waiter was cancelled
                return await self.get(key, load)  # the loader was: load again, for those still waiting
        shared: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        shared.add_done_callback(lambda f: f.cancelled() or f.exception())  # a failure is the loader's to raise
        self._loading[key] = (version, shared)
        try:
            value = await load()
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                shared.cancel()
            else:
                shared.set_exception(exc)
            raise
        finally:
            if self._loading.get(key, (0, None))[1] is shared:
                del self._loading[key]
        shared.set_result(value)
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
