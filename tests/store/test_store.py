"""The SQLite store on a real file: migrations, transactions, the tables' rules."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest

from bot.luma import VideoRequest
from bot.store import Database, Job, JobStore, Video, VideoStore, Viewer
from bot.store.caching import FreshCache
from bot.store.db import load_migrations


async def tables(db: Database) -> set[str]:
    rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {r["name"] for r in rows}


async def test_migrates_from_empty_and_a_rerun_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "bot.sqlite3"
    db = await Database.open(path)
    assert await db.schema_version() == len(load_migrations()) >= 2
    assert {"jobs", "videos", "reservations", "guild_settings", "guild_limits", "audit_log"} <= await tables(db)
    mode = await db.fetchone("PRAGMA journal_mode")
    fks = await db.fetchone("PRAGMA foreign_keys")
    assert mode[0] == "wal" and fks[0] == 1
    assert await db.migrate(load_migrations()) == []
    await db.close()
    again = await Database.open(path)
    rows = await again.fetchall("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == list(range(1, len(load_migrations()) + 1))
    assert all(r["applied_at"].endswith("Z") for r in rows)
    await again.close()


async def test_a_database_of_an_older_migration_set_upgrades_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = await Database.open(path, migrations=load_migrations()[:1])
    assert await old.schema_version() == 1 and "guild_settings" not in await tables(old)
    async with old.transaction() as tx:  # a row as the code of that time wrote it
        await tx.execute(
            "INSERT INTO jobs (id, guild_id, channel_id, user_id, action, request, state, created_at)"
            " VALUES ('job-1', 1, 2, 3, 'generate', ?, 'queued', '2026-01-01T00:00:00.000000Z')",
            ('{"action": "generate", "prompt": "an old prompt"}',),
        )
    await old.close()

    new = await Database.open(path)
    assert await new.schema_version() == len(load_migrations())
    assert "guild_settings" in await tables(new)
    kept = await JobStore(new).get("job-1")
    assert kept is not None and kept.request.prompt == "an old prompt" and kept.state == "queued"
    assert kept.progress_message_id is None, "a column added later reads as empty for old rows"
    await new.close()


async def test_a_failing_migration_applies_nothing(tmp_path: Path) -> None:
    from bot.store.db import Migration

    broken = [*load_migrations()[:1], Migration(2, "broken", "CREATE TABLE half (x INTEGER);\nNOT SQL;")]
    with pytest.raises(aiosqlite.OperationalError):
        await Database.open(tmp_path / "b.sqlite3", migrations=broken)
    db = await Database.open(tmp_path / "b.sqlite3", migrations=load_migrations()[:1])
    assert "half" not in await tables(db) and await db.schema_version() == 1
    await db.close()


async def test_transactions_roll_back_and_do_not_interleave(db: Database) -> None:
    jobs = JobStore(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await jobs.insert(tx, Job("j-rollback", 1, 2, 3, VideoRequest.generate("rolled back")))
            raise RuntimeError
    assert await jobs.get("j-rollback") is None

    async def slow_insert(i: int) -> None:
        async with db.transaction() as tx:
            await jobs.insert(tx, Job(f"j{i}", 1, 2, 3, VideoRequest.generate(f"prompt {i}")))
            await asyncio.sleep(0.01)

    await asyncio.gather(*(slow_insert(i) for i in range(10)))
    assert (await db.fetchone("SELECT COUNT(*) AS n FROM jobs"))["n"] == 10


async def test_a_job_ends_once(db: Database) -> None:
    jobs = JobStore(db)
    async with db.transaction() as tx:
        await jobs.insert(tx, Job("j", 1, 2, 3, VideoRequest.generate("once only"), interaction_token="tok"))
    assert await jobs.mark_submitted("j", "task-1")
    results = []
    for state in ("completed", "failed", "completed"):
        async with db.transaction() as tx:
            results.append(await jobs.finish(tx, "j", state))  # type: ignore[arg-type]
    assert results == [True, False, False]
    job = await jobs.get("j")
    assert job is not None and job.state == "completed" and job.task_id == "task-1"
    assert "tok" not in repr(job)
    assert [j.id for j in await jobs.undelivered()] == ["j"]
    assert await jobs.mark_delivered("j", "original", 55, 2)
    assert not await jobs.mark_delivered("j", "channel", 56, 2)
    job = await jobs.get("j")
    assert job is not None and job.interaction_token is None and job.delivered_message_id == 55
    assert await jobs.undelivered() == []


async def test_videos_are_kept_per_guild_with_lineage(db: Database) -> None:
    videos = VideoStore(db)

    def video(vid: str, guild: int, parent: str | None = None, prompt: str = "a prompt") -> Video:
        return Video(
            vid,
            guild,
            7,
            8,
            f"task-{vid}",
            "generate",
            prompt,
            f"https://cdn.example/{vid}.mp4",
            parent_video_id=parent,
        )

    async with db.transaction() as tx:
        await videos.insert(tx, video("v1", 1, prompt="50% off_sale"))
        await videos.insert(tx, video("v2", 1, parent="v1"))
        await videos.insert(tx, video("v3", 2))
    assert [v.video_id for v in await videos.recent(1, Viewer())] == ["v2", "v1"]
    assert await videos.get(1, "v3") is None and await videos.known_link("https://cdn.example/v3.mp4", None, None)
    assert [v.video_id for v in await videos.children(1, "v1", Viewer())] == ["v2"]
    assert [v.video_id for v in await videos.recent(1, Viewer(), search="50%")] == ["v1"]
    assert await videos.recent(1, Viewer(), search="_x") == []
    assert (await videos.by_link(1, "https://cdn.example/v1.mp4", None, None)).video_id == "v1"  # type: ignore[union-attr]
    await videos.set_message("v1", 99, 8, "https://cdn.discordapp.com/attachments/8/7/v1.mp4")
    by_attachment = await videos.by_link(1, "x", "https://cdn.discordapp.com/attachments/8/7/v1.mp4", None)
    key = (await videos.get(1, "v2")).serve_key  # type: ignore[union-attr]
    assert by_attachment.video_id == "v1" and (await videos.by_link(1, "x", None, key)).video_id == "v2"  # type: ignore[union-attr]
    assert await videos.by_link(2, "x", None, key) is None, "another server's key finds nothing"
    assert (await videos.by_message(1, 99)).video_id == "v1"  # type: ignore[union-attr]
    assert await videos.count(1, Viewer()) == 2 and await videos.count(2, Viewer()) == 1


async def test_a_value_read_while_it_was_being_changed_is_not_kept() -> None:
    """FreshCache: a load that overlapped a change (a pooled PostgreSQL read during another connection's
    transaction sees the old row) is returned but not cached; the next read loads the new value."""
    cache: FreshCache[int, str] = FreshCache()
    started, release = asyncio.Event(), asyncio.Event()

    async def old() -> str:
        started.set()
        await release.wait()
        return "old"

    async def new() -> str:
        return "new"

    reading = asyncio.create_task(cache.get(1, old))
    await started.wait()
    cache.invalidate(1)  # the change commits while the read is under way
    release.set()
    assert await reading == "old"
    assert await cache.get(1, new) == "new", "the stale value was not kept"
    assert await cache.get(1, old) == "new", "and the fresh one is"


async def test_a_burst_on_a_cold_cache_loads_once_and_a_change_starts_a_new_load() -> None:
    """FreshCache: gets of one key while its load is under way share it (50 members after a restart: one
    query); a waiter that gives up leaves the others theirs, a loader that gives up is replaced; a get after a
    change does not join a load from before it; a failure reaches every waiter."""
    cache: FreshCache[int, int] = FreshCache()
    release = asyncio.Event()
    calls: list[int] = []

    async def load() -> int:
        calls.append(len(calls))
        await release.wait()
        return len(calls)

    async def turns() -> None:
        for _ in range(3):
            await asyncio.sleep(0)

    burst = [asyncio.create_task(cache.get(1, load)) for _ in range(50)]
    await turns()
    assert len(calls) == 1, "one load for the burst"
    burst[0].cancel()  # the member whose get was loading gives up: one of the others loads again
    burst[1].cancel()  # a waiting member gives up
    await turns()
    assert len(calls) == 2
    release.set()
    results = await asyncio.gather(*burst, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results[:2]) and results[2:] == [2] * 48

    release.clear()
    first = asyncio.create_task(cache.get(3, load))
    await turns()
    cache.invalidate(3)  # a change commits while that load is under way
    second = asyncio.create_task(cache.get(3, load))
    await turns()
    assert len(calls) == 4, "the get after the change loads anew"
    release.set()
    assert (await first, await second) == (4, 4)
    assert await cache.get(3, load) == 4 and len(calls) == 4, "the fresh value is kept"

    async def failing() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("the database is gone")

    waiters = [asyncio.create_task(cache.get(2, failing)) for _ in range(3)]
    outcomes = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)


async def test_a_single_statement_waits_out_another_process_write_lock(tmp_path: Path) -> None:
    """`execute` runs one statement without BEGIN and COMMIT (SQLite makes it atomic), yet waits for another
    process's write lock as a transaction does, and gives up with the lock's own error past `lock_wait`."""
    import sqlite3
    import threading

    path = tmp_path / "locked.sqlite3"
    db = await Database.open(path)
    try:
        await db.set_meta("k", "before")

        def hold(taken: threading.Event, release: threading.Event) -> None:  # the sqlite3 shell, a backup
            other = sqlite3.connect(path, isolation_level=None, timeout=30)
            other.execute("BEGIN IMMEDIATE")
            taken.set()
            release.wait(10)
            other.execute("ROLLBACK")
            other.close()

        async def locked_by_another(held_for: float | None) -> threading.Thread:
            taken, release = threading.Event(), threading.Event()
            thread = threading.Thread(target=hold, args=(taken, release), daemon=True)
            thread.start()
            assert await asyncio.to_thread(taken.wait, 10)
            if held_for is not None:  # the other process lets go by itself, while this one is waiting
                threading.Timer(held_for, release.set).start()
            else:
                thread.release = release  # type: ignore[attr-defined]
            return thread

        holder = await locked_by_another(None)
        db.lock_wait = 0.3
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await db.execute("UPDATE meta SET value = 'during' WHERE key = 'k'")
        holder.release.set()  # type: ignore[attr-defined]
        await asyncio.to_thread(holder.join, 10)

        await locked_by_another(held_for=0.5)
        db.lock_wait = 10
        assert await db.execute("UPDATE meta SET value = 'after' WHERE key = 'k'") == 1, "written once the lock went"
        assert await db.get_meta("k") == "after"
        assert db.write_error is None, "a lock is no failed write"
    finally:
        await db.close()
