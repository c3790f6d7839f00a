"""PostgreSQL (asyncpg), the alternative to SQLite for hosts whose disk does not last: the same interface as
`Database` (fetchone / fetchall / execute / transaction → Tx), the same numbered migrations, the same SQL.

The stores write portable SQL with `?` placeholders; here they become `$1, $2, …`. Every write transaction
takes one transaction-scoped advisory lock first, so writes are serialised exactly as SQLite's
BEGIN IMMEDIATE serialises them: a quota check and its reservation can never interleave with another's.
Reads need no lock and run on the pool's other connections meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from functools import cache
from importlib import resources
from typing import Any

import asyncpg  # the optional extra: pip install 'luma-bot[postgres]' (imported only when DATABASE_URL is set)

from bot.clock import Clock, system_clock

from .db import Migration, SchemaTooNew, SharedQueries, Tx, load_migrations, split_statements

__all__ = ["PostgresDatabase", "PostgresInstanceLock", "load_postgres_migrations", "to_postgres"]

log = logging.getLogger(__name__)

WRITE_LOCK = 0x6C756D61  # "luma": the advisory lock that serialises write transactions
STANDBY_BEAT = "SELECT value FROM meta WHERE key = 'standby_seen'"  # a waiting standby's last heartbeat (epoch s)
INSTANCE_LOCK = 0x6C756D62  # held by the one bot running on this database, for the life of its process
LOCK_CHECK = 5.0  # seconds between looks at the connection that holds it
_COUNT = re.compile(r"(\d+)$")


@cache
def to_postgres(sql: str) -> str:
    """`?` placeholders (outside quoted text) become `$1, $2, …`."""
    out, n, quoted = [], 0, False
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "?" and not quoted:
            n += 1
            out.append(f"${n}")
        else:
            out.append(char)
    return "".join(out)


def _ddl(sql: str) -> str:
    """SQLite's DDL, PostgreSQL's way: 64-bit integers (Discord ids) and serial keys."""
    sql = re.sub(r"\bINTEGER PRIMARY KEY\b", "BIGSERIAL PRIMARY KEY", sql)
    return re.sub(r"\bINTEGER\b", "BIGINT", sql)


def load_postgres_migrations() -> list[Migration]:
    """The same numbered migrations; where PostgreSQL must differ, its own file in migrations/postgresql/."""
    own = resources.files("bot.store").joinpath("migrations", "postgresql")
    overrides = {
        entry.name: entry.read_text(encoding="utf-8") for entry in own.iterdir() if entry.name.endswith(".sql")
    }
    migrations = []
    for migration in load_migrations():
        name = f"{migration.version:04d}_{migration.name}.sql"
        sql = overrides.get(name) or _ddl(migration.sql)
        migrations.append(Migration(migration.version, migration.name, sql))
    return migrations


def _changed(status: str) -> int:
    found = _COUNT.search(status or "")
    return int(found[1]) if found else 0


class PgTx(Tx):
    """The statements of one open transaction, on one pooled connection."""

    def __init__(self, conn: Any) -> None:
        super().__init__(conn)

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        return _changed(await self._conn.execute(to_postgres(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        await self._conn.executemany(to_postgres(sql), [tuple(r) for r in rows])

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        row = await self._conn.fetchrow(to_postgres(sql) + " RETURNING id", *params)
        return int(row["id"]) if row else 0

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return await self._conn.fetchrow(to_postgres(sql), *params)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return list(await self._conn.fetch(to_postgres(sql), *params))


class PostgresDatabase(SharedQueries):
    dialect = "postgresql"

    def __init__(self, pool: Any, clock: Clock = system_clock) -> None:
        self._pool = pool
        self.clock = clock
        self.write_error: str | None = None
        self.lock_wait = 30.0

    @classmethod
    async def open(
        cls, url: str, *, clock: Clock = system_clock, migrations: Iterable[Migration] | None = None
    ) -> PostgresDatabase:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=8, command_timeout=60)
        db = cls(pool, clock)
        try:
            await db.migrate(load_postgres_migrations() if migrations is None else list(migrations))
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[PgTx]:
        """Every table as of one instant, to read while a bot writes: one read-only REPEATABLE READ transaction."""
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            yield PgTx(conn)

    async def migrate(self, migrations: list[Migration]) -> list[Migration]:
        applied = []
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            SchemaTooNew.check(done, migrations)
        for migration in migrations:
            if migration.version in done:
                continue
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
                for statement in split_statements(migration.sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    self.now(),
                )
            log.info("applied migration %04d_%s (postgresql)", migration.version, migration.name)
            applied.append(migration)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgTx]:
        """One write transaction at a time, bot-wide (the advisory lock), as with SQLite's BEGIN IMMEDIATE."""
        async with self._pool.acquire() as conn:
            tx = PgTx(conn)
            try:
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
                    yield tx
            except (OSError, asyncpg.PostgresError) as exc:
                if not isinstance(exc, asyncpg.IntegrityConstraintViolationError | asyncpg.DataError):
                    self.write_error = f"{type(exc).__name__}: {exc}"  # the server gone, a full disk there
                raise
            self.write_error = None
            tx.committed()

    async def probe(self) -> str | None:
        try:
            await self.fetchone("SELECT COUNT(*) FROM schema_migrations")
        except Exception as exc:
            return self.write_error or f"{type(exc).__name__}: {exc}"
        return self.write_error

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any:
        async with self._pool.acquire() as conn:
            return await conn.fetchrow(to_postgres(sql), *params)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        async with self._pool.acquire() as conn:
            return list(await conn.fetch(to_postgres(sql), *params))


class PostgresInstanceLock:
    """One bot per database on PostgreSQL too: a session advisory lock on a connection of its own, held for the
    life of the process (the server drops it when the connection ends, so a crash leaves no stale lock). The
    connection is named after the bot's pid, so a second bot can say which process holds it."""

    def __init__(self, url: str, notice_within: float = 15.0) -> None:
        self.url = url
        self.notice_within = notice_within  # STANDBY_TAKEOVER: how soon the server must see this connection gone
        self._conn: Any = None
        self.standby_seen: float | None = None  # monotonic: when a standby's heartbeat was last seen fresh (watch)
        self._cut_since: float | None = None  # monotonic: since when the lock cannot be taken again

    async def acquire(self) -> None:
        self._conn = await self._take()

    async def _take(self) -> Any:
        """A connection of its own holding the lock; AlreadyRunning (naming the holder) when another has it."""
        from .db import AlreadyRunning

        # a connection cut without a goodbye (a network partition) keeps the lock until the server sees it gone: its
        # keepalives ask within a third of `notice_within` and give up after two more thirds, so that a standby can
        # take over in time (tcp_keepalives_*: PostgreSQL's runtime settings, per connection)
        third = str(max(1, int(self.notice_within / 3)))
        settings = {"application_name": f"luma-bot pid {os.getpid()}", "tcp_keepalives_idle": third}
        settings |= {"tcp_keepalives_interval": str(max(1, int(self.notice_within / 6))), "tcp_keepalives_count": "2"}
        conn = await asyncpg.connect(self.url, server_settings=settings)
        try:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", INSTANCE_LOCK):
                holder = await conn.fetchval(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1 LIMIT 1",
                    INSTANCE_LOCK,
                )
                raise AlreadyRunning(str(holder or "?").removeprefix("luma-bot pid "))
        except BaseException:
            await conn.close()
            raise
        return conn

    async def watch(self, lost: Callable[[str], None], every: float | None = None) -> None:
        """Keep the lock for the life of the bot. It lives on one connection, which a restarted server, a network cut
        or an idle-connection killer can end: then the server frees the lock, and a second bot could start beside
        this one. So the connection is checked every `every` seconds (and at once when it is seen to drop); a lost
        one is replaced and the lock taken again, and if another bot holds it by then, `lost(holder)` is called
        (the bot stops). While the database cannot be reached, it keeps trying."""
        from .db import AlreadyRunning

        every = every or min(LOCK_CHECK, max(0.5, self.notice_within / 3))  # a waiting standby is seen in time
        dropped = asyncio.Event()
        listened: Any = None
        while True:
            conn = self._conn
            if conn is not None:
                if conn is not listened:
                    conn.add_termination_listener(lambda _: dropped.set())
                    listened = conn
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(every):
                        await dropped.wait()
                dropped.clear()
                try:
                    async with asyncio.timeout(every):
                        beat = await conn.fetchval(STANDBY_BEAT)  # the connection (and the lock) is still there
                    if beat is not None and time.time() - float(beat) < self.notice_within * 3:
                        self.standby_seen = time.monotonic()
                    continue
                except (asyncpg.UndefinedTableError, ValueError):
                    continue  # alive; a database not migrated yet (or a beat that is not a number) has no standby
                except (asyncpg.PostgresError, OSError, TimeoutError, asyncpg.InterfaceError):
                    pass
                log.warning("the connection holding the one-bot lock of the database dropped; taking the lock again")
                self._conn = None
                with contextlib.suppress(Exception):
                    conn.terminate()
            try:
                self._conn = await self._take()
                self._cut_since = None
                log.info("took the one-bot lock of the database again")
            except AlreadyRunning as exc:
                lost(str(exc))
                return
            except (asyncpg.PostgresError, OSError, TimeoutError, asyncpg.InterfaceError) as exc:
                log.warning("cannot take the one-bot lock of the database again yet (%s)", type(exc).__name__)
                if self._standby_may_hold():
                    lost("")  # a standby was waiting: by now it holds the database
                    return
                await asyncio.sleep(every)

    def _standby_may_hold(self) -> bool:
        """Cut from the database for longer than STANDBY_TAKEOVER while a standby was seen waiting: it holds the
        database by now (the server saw this lock's connection gone), so this bot must yield. Without a standby the
        bot keeps trying for as long as it takes."""
        if self.standby_seen is None:
            return False
        if self._cut_since is None:
            self._cut_since = time.monotonic()
        return time.monotonic() - self._cut_since >= self.notice_within

    async def note_standby(self) -> None:
        """A standby's heartbeat, on a short connection of its own: the active bot yields the database once it is
        cut from it for longer than STANDBY_TAKEOVER while a standby waits (watch)."""
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ('standby_seen', $1)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                str(time.time()),
            )
        finally:
            await conn.close()

    async def release(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
