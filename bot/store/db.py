"""The SQLite connection (one per process), its transactions, and the numbered migrations."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import Clock, iso, system_clock

__all__ = ["AlreadyRunning", "Database", "InstanceLock", "Migration", "SchemaTooNew", "load_migrations"]

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

LOCK_WAIT = 30.0  # how long a write waits out another process's lock (a backup, the sqlite3 shell) before failing
BUSY_TIMEOUT_MS = 250  # SQLite's own wait per attempt; the rest of LOCK_WAIT is retried from here, with back-off


def _is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc) or getattr(exc, "sqlite_errorcode", 0) in (5, 6)
    )


class SchemaTooNew(Exception):
    """The database was used by a newer luma-bot (it has migrations this code does not know): refused as it is,
    never half-migrated nor run on by code that does not know its tables."""

    def __init__(self, found: int, known: int) -> None:
        self.found, self.known = found, known
        super().__init__(
            f"the database is at schema version {found}, newer than this luma-bot knows ({known}): a newer version "
            "of luma-bot used it. Install that version again, or restore the backup taken before the upgrade "
            "(README, Upgrading)"
        )

    @classmethod
    def check(cls, done: set[int], migrations: list[Migration]) -> None:
        """Refuse when `done` has a version beyond every migration this code has (an empty list knows nothing)."""
        known = max((m.version for m in migrations), default=None)
        if known is not None and done and max(done) > known:
            raise cls(max(done), known)


class _Patience:
    """Waiting out another process's write lock (a backup, the sqlite3 shell): a back-off from 50 ms to 1 s, for
    up to `seconds`, said once in the log."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.deadline = seconds, time.monotonic() + seconds
        self.pause, self.told = 0.05, False

    def over(self) -> bool:
        return time.monotonic() >= self.deadline

    async def wait(self) -> None:
        if not self.told:
            log.warning("the database is locked by another process; waiting up to %.0fs", self.seconds)
            self.told = True
        await asyncio.sleep(min(self.pause, max(0.0, self.deadline - time.monotonic())))
        self.pause = min(self.pause * 2, 1.0)


def private_file(path: Path) -> None:
    """Create `path` (and a folder it needs) readable by the bot's user only: the database holds live
    interaction tokens and perhaps the callback secret. An existing file keeps its mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


class AlreadyRunning(Exception):
    """Another process holds the database's instance lock."""


class InstanceLock:
    """One bot per database: an exclusive `flock` on `<database>.lock`, held for the life of the process
    and released by the kernel when it ends (no stale lock after a crash)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(str(path) + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        private_file(self.path)
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunning(holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def split_statements(sql: str) -> list[str]:
    """Split a migration script into complete statements (comments and blank lines dropped)."""
    statements, current = [], ""
    for line in sql.splitlines():
        if not current and (not line.strip() or line.strip().startswith("--")):
            continue
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise RuntimeError(f"incomplete SQL statement in migration: {current[:80]!r}")
    return statements


class Migration:
    def __init__(self, version: int, name: str, sql: str) -> None:
        self.version, self.name, self.sql = version, name, sql

    def __repr__(self) -> str:
        return f"<Migration {self.version:04d}_{self.name}>"


def load_migrations() -> list[Migration]:
    """The migrations shipped in bot/store/migrations, in order; numbers must run 1, 2, 3, …"""
    found = []
    for entry in resources.files("bot.store").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration numbers must be contiguous: expected {expected}, got {migration}")
    return found


class SharedQueries:
    """What both databases (SQLite here, PostgreSQL in postgres.py) build the same way on their own
    fetchone / transaction."""

    clock: Clock

    def now(self) -> str:
        return iso(self.clock())

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")  # type: ignore[attr-defined]
        return int(row["v"]) if row else 0

    async def get_meta(self, key: str) -> str | None:
        row = await self.fetchone("SELECT value FROM meta WHERE key = ?", (key,))  # type: ignore[attr-defined]
        return row["value"] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement in its own transaction; returns the number of rows changed."""
        async with self.transaction() as tx:  # type: ignore[attr-defined]
            return int(await tx.execute(sql, params))


class Database(SharedQueries):
    """One aiosqlite connection. Every statement runs under one asyncio lock, so a transaction
    (`async with db.transaction()`) is never interleaved with another coroutine's statements."""

    def __init__(self, conn: aiosqlite.Connection, clock: Clock = system_clock) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._closed = False
        self.clock = clock
        self.lock_wait = LOCK_WAIT
        #: the last write that failed for a reason other than a lock (a full disk, an I/O error), until a
        #: write succeeds again: /healthz reports it
        self.write_error: str | None = None

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        clock: Clock = system_clock,
        migrations: Iterable[Migration] | None = None,
    ) -> Database:
        if str(path) != ":memory:":
            private_file(Path(path))
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        try:  # whatever fails (a corrupt file, a read-only mount), close: its thread would keep the process alive
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA synchronous=NORMAL")
            db = cls(conn, clock)
            await db.migrate(load_migrations() if migrations is None else list(migrations))
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            if not self._closed:
                self._closed = True
                await self._conn.close()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Database]:
        """Every table as of one instant, to read while a bot writes: SQLite's online backup (never a copy of a live
        file) into a file of its own, opened as a database, and removed afterwards."""
        folder = Path(tempfile.mkdtemp(prefix="luma-snapshot-"))
        copy_path = folder / "snapshot.sqlite3"
        try:
            target = await aiosqlite.connect(str(copy_path))
            try:
                async with self._lock:
                    await self._conn.backup(target)
            finally:
                await target.close()
            copy = await Database.open(copy_path, migrations=[])
            try:
                yield copy
            finally:
                await copy.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    async def migrate(self, migrations: list[Migration]) -> list[Migration]:
        """Apply the migrations not yet recorded, each in its own transaction; return those applied. A database that
        already has a migration this code does not know is refused (SchemaTooNew) before anything is applied."""
        async with self._lock:
            await self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            async with self._conn.execute("SELECT version FROM schema_migrations") as cursor:
                done = {row[0] for row in await cursor.fetchall()}
            SchemaTooNew.check(done, migrations)
            applied = []
            for migration in migrations:
                if migration.version in done:
                    continue
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in split_statements(migration.sql):
                        await self._conn.execute(statement)
                    await self._conn.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        (migration.version, migration.name, self.now()),
                    )
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
                log.info("applied migration %04d_%s", migration.version, migration.name)
                applied.append(migration)
            return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error), holding the connection for the whole block.

        While another process holds the write lock, BEGIN is retried with back-off for up to `lock_wait`
        seconds, letting this process's reads go on in between; only then does the write fail.
        """
        await self._begin()
        try:
            tx = Tx(self._conn)
            try:
                yield tx
            except BaseException:
                with contextlib.suppress(sqlite3.Error, ValueError):
                    await self._conn.execute("ROLLBACK")
                raise
            try:
                await self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self.write_error = f"{type(exc).__name__}: {exc}"
                with contextlib.suppress(sqlite3.Error, ValueError):
                    await self._conn.execute("ROLLBACK")
                raise
            self.write_error = None
            tx.committed()
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
            if not isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError) and not _is_busy(exc):
                self.write_error = f"{type(exc).__name__}: {exc}"  # a full disk, an I/O error
            raise
        finally:
            self._lock.release()

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement, which SQLite makes atomic by itself (autocommit): no BEGIN and COMMIT around it, two
        round trips to the connection's thread fewer, under the same lock, the same wait for another process's
        write lock, and the same note of a failed write for /healthz. Returns the number of rows changed."""
        patience = _Patience(self.lock_wait)
        while True:
            async with self._lock:
                try:
                    async with self._conn.execute(sql, tuple(params)) as cursor:
                        changed = cursor.rowcount
                except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
                    busy = _is_busy(exc)
                    if not busy and not isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
                        self.write_error = f"{type(exc).__name__}: {exc}"  # a full disk, an I/O error
                    if not busy or patience.over():
                        raise
                else:
                    self.write_error = None
                    return int(changed)
            await patience.wait()

    async def _begin(self) -> None:
        """Take the connection and SQLite's write lock (see `transaction`)."""
        patience = _Patience(self.lock_wait)
        while True:
            await self._lock.acquire()
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                return
            except BaseException as exc:
                self._lock.release()
                if not _is_busy(exc) or patience.over():
                    raise
            await patience.wait()

    async def probe(self) -> str | None:
        """None when the database answers and the last write did not fail; else what is wrong."""
        try:
            async with asyncio.timeout(3.0):  # not wait_for: on 3.11 it can swallow a cancellation
                await self.fetchone("SELECT COUNT(*) FROM schema_migrations")
                if self.write_error is not None:  # see whether it has recovered (space freed, say)
                    await self.set_meta("health_probe", self.now())
        except (sqlite3.Error, ValueError, TimeoutError) as exc:
            return self.write_error or f"{type(exc).__name__}: {exc}"
        return self.write_error

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._lock, self._conn.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock, self._conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())


class Tx:
    """The statements of one open transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._after: list[Callable[[], None]] = []

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction has committed (e.g. drop a cached copy: a read on another
        connection meanwhile may have cached the value from before it)."""
        self._after.append(action)

    def committed(self) -> None:
        for action in self._after:
            action()

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        await self._conn.executemany(sql, [tuple(r) for r in rows])

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return int(cursor.lastrowid or 0)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())
