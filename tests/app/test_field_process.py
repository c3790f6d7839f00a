"""Field hardening of the process: a crash mid-submit, a second bot on one database, a corrupt or
read-only database, private files, Discord unreachable at start, a refused privileged intent. Every
test runs `luma-bot run` (or `check`) as its own process, as an owner does."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.luma.fake import FakeLuma
from bot.store import Database
from bot.web.serving import free_port

from .. import harness
from ..disk import read_only, small_disk
from ..fakes.discord import FakeDiscord, Interaction
from ..helpers import clean_env, eventually
from ..processes import Stage, finish, stage, start, stop, until_healthy, videos

# --- point 7: a crash while the API is answering a submission ------------------------------------------


async def crash_mid_submit(s: Stage, env: dict[str, str], prompt: str) -> Interaction:
    """Run the bot, ask for a video, and kill the bot (no clean-up at all) once the API has made the task
    but before its answer (with the task id) is back."""
    proc = await start(env)
    await until_healthy(env, proc)
    s.luma.hold_answer_next(30)
    interaction = await s.discord.slash(s.guild, s.channel, s.member, ["luma", "generate"], {"prompt": prompt})
    await s.discord.wait_for(lambda: s.luma.tasks)
    proc.kill()
    await proc.wait()
    return interaction


async def test_a_crash_mid_submit_is_told_to_the_owner_and_a_late_callback_still_delivers(tmp_path: Path) -> None:
    async with stage(tmp_path) as s:
        env = s.env()
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{env['WEB_PORT']}"
        s.luma.auto_complete = False
        interaction = await crash_mid_submit(s, env, "lost?")
        [task] = s.luma.tasks.values()
        s.luma.finish(task.task_id)  # the callback goes out while the bot is down, and is lost
        await s.discord.wait_for(lambda: s.luma.callbacks and s.luma.callbacks[0]["status"] is not None)
        assert str(s.luma.callbacks[0]["status"]).startswith("error")
        proc = await start(env)
        try:
            await until_healthy(env, proc)
            owner = int(s.discord.owner["id"])
            [dm] = await s.discord.wait_for(lambda: s.discord.dm_messages(owner))
            assert "restarted while sending 1 video request" in dm["content"] and "lost?" in dm["content"]
            assert "still delivered if Luma calls back" in dm["content"]
            # the platform calls back again: the job is found by its signed path, though its task id was never saved
            async with aiohttp.ClientSession() as http:
                async with http.post(task.request["callback_url"], json=task.response) as r:
                    assert r.status == 200 and (await r.json())["applied"] is True
            [result] = await s.discord.wait_for(lambda: videos(s.discord))
            assert s.discord.pings(s.member) == [result], "a new message that notifies the member"
            await s.discord.wait_for(lambda: interaction.original_message_id not in s.discord.messages)
        finally:
            code, output = await stop(proc)
        assert code == 0 and "Traceback" not in output


async def test_a_crash_mid_submit_in_poll_mode_refunds_and_tells_the_owner(tmp_path: Path) -> None:
    async with stage(tmp_path) as s:
        env = s.env()
        await crash_mid_submit(s, env, "in limbo")
        proc = await start(env)
        try:
            await until_healthy(env, proc)
            owner = int(s.discord.owner["id"])
            [dm] = await s.discord.wait_for(lambda: s.discord.dm_messages(owner))
            assert "in limbo" in dm["content"] and "not charged" in dm["content"]
            failure = await s.discord.wait_for(
                lambda: [m for m in s.discord.messages.values() if "could not be made" in str(m.get("embeds"))]
            )
            assert "You were not charged" in str(failure[0]["embeds"])
        finally:
            await stop(proc)
        db = sqlite3.connect(env["DATABASE_PATH"])
        assert db.execute("SELECT state FROM reservations").fetchall() == [("refunded",)]
        db.close()


async def test_a_sigterm_during_a_submission_waits_for_the_answer_and_bills_nothing_twice(tmp_path: Path) -> None:
    """#25: a normal stop (SIGTERM) cancelled a submission in the air; the API made (and billed) the task, the bot
    never learnt its id, and at the next start refunded it and told the owner its outcome was unknown. The bot
    now lets a request being sent finish (within half of its shutdown grace) and sends nothing new meanwhile."""
    async with stage(tmp_path) as s:
        env = s.env()
        s.luma.auto_complete = False
        proc = await start(env)
        await until_healthy(env, proc)
        s.luma.hold_answer_next(1.5)  # the API makes the task at once and answers a moment later
        await s.discord.slash(s.guild, s.channel, s.member, ["luma", "generate"], {"prompt": "stopped mid-send"})
        [task_id] = await s.discord.wait_for(lambda: list(s.luma.tasks))
        code, output = await stop(proc)
        assert code == 0 and "Traceback" not in output
        db = sqlite3.connect(env["DATABASE_PATH"])
        assert db.execute("SELECT state, task_id FROM jobs").fetchall() == [("submitted", task_id)]
        assert db.execute("SELECT state FROM reservations").fetchall() == [("held",)], "not refunded"
        db.close()

        s.luma.finish(task_id)
        proc = await start(env)
        try:
            await until_healthy(env, proc)
            [result] = await s.discord.wait_for(lambda: videos(s.discord))
            assert "stopped mid-send" in str(result["embeds"])
            assert s.discord.dm_messages(int(s.discord.owner["id"])) == [], "no outcome was unknown: nothing to tell"
        finally:
            code, output = await stop(proc)
        assert code == 0
        db = sqlite3.connect(env["DATABASE_PATH"])
        assert db.execute("SELECT state FROM reservations").fetchall() == [("charged",)]
        db.close()


# --- point 10: one bot per database ----------------------------------------------------------------


@pytest.mark.usefixtures("both_databases")
async def test_a_second_bot_on_the_same_database_stops_at_start(tmp_path: Path) -> None:
    """On SQLite a flock beside the file; on PostgreSQL a session advisory lock: either way one sentence, exit 2."""
    async with stage(tmp_path) as s:
        env = s.env(**({"DATABASE_URL": await harness.POSTGRES.new_database()} if harness.POSTGRES else {}))
        first = await start(env)
        try:
            await until_healthy(env, first)
            second_env = {**env, "WEB_PORT": str(free_port())}
            code, output = await finish(await start(second_env), timeout=30)
            assert code == 2
            assert f"another luma-bot (pid {first.pid}) is already running on the database" in output
            assert "Traceback" not in output and len(output.strip().splitlines()) <= 3
        finally:
            await stop(first)
        # with the first one gone, the lock is free again (the kernel releases it even after a crash)
        again = await start(env)
        await until_healthy(env, again)
        assert (await stop(again))[0] == 0


async def test_a_dropped_lock_connection_is_taken_again_or_the_bot_stops(tmp_path: Path, postgres: Any) -> None:
    """#25: on PostgreSQL the one-bot lock lived on one unchecked connection; once that connection dropped (a
    restarted server, an idle-connection killer), a second bot started beside the first. Now the bot takes the lock
    again, and stops if another bot holds it by then."""
    import asyncpg

    from bot.store.postgres import INSTANCE_LOCK

    async with stage(tmp_path) as s:
        url = await postgres.new_database()
        env = s.env(DATABASE_URL=url)
        first = await start(env)
        admin = await asyncpg.connect(url)
        holder_sql = (
            "SELECT l.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1"
        )
        try:
            await until_healthy(env, first)
            [(backend, name)] = await admin.fetch(holder_sql, INSTANCE_LOCK)
            assert name == f"luma-bot pid {first.pid}"
            await admin.execute("SELECT pg_terminate_backend($1)", backend)

            async def taken_again() -> list | None:  # the bot notices the drop and takes the lock, on a new connection
                held = await admin.fetch(holder_sql, INSTANCE_LOCK)
                return held if held and held[0]["pid"] != backend else None

            held = await eventually(taken_again, what="the lock to be taken again")
            assert held and held[0]["application_name"] == f"luma-bot pid {first.pid}", held
            second = await start({**env, "WEB_PORT": str(free_port())})
            code, output = await finish(second, timeout=30)
            assert code == 2 and f"another luma-bot (pid {first.pid}) is already running" in output

            # the lock connection drops again, and another bot is quicker this time: the first one stops
            await admin.execute("SELECT pg_terminate_backend($1)", held[0]["pid"])
            await admin.execute("SELECT pg_advisory_lock($1)", INSTANCE_LOCK)
            code, output = await finish(first, timeout=30)
            assert code == 2, output
            assert "took the database while this one's lock connection was down; stopping" in output
            assert "Traceback" not in output
        finally:
            if first.returncode is None:
                await stop(first)
            await admin.close()


async def test_an_unreachable_postgresql_stops_run_with_one_sentence(tmp_path: Path) -> None:
    async with stage(tmp_path) as s:
        env = s.env(DATABASE_URL=f"postgresql://luma:secret-password@127.0.0.1:{free_port()}/luma")
        code, output = await finish(await start(env), timeout=30)
        assert code == 2
        assert "the database at postgresql://127.0.0.1:" in output and "check DATABASE_URL" in output
        assert "secret-password" not in output and "Traceback" not in output


# --- point 11: a corrupt or read-only database ---------------------------------------------------------


async def test_a_corrupt_database_stops_run_and_check_promptly(tmp_path: Path) -> None:
    async with stage(tmp_path) as s:
        env = s.env()
        path = Path(env["DATABASE_PATH"])
        await asyncio.to_thread(path.parent.mkdir, parents=True)
        await asyncio.to_thread(path.write_bytes, b"this is not a database, " * 200)
        code, output = await finish(await start(env), timeout=30)
        assert code == 2 and "the database at" in output and "Traceback" not in output
        code, output = await finish(await start(env, "check"), timeout=30)
        assert code == 1 and "database: FAILED" in output


async def test_a_read_only_database_stops_run_and_check_promptly(tmp_path: Path) -> None:
    async with stage(tmp_path) as s:
        with small_disk(tmp_path / "ro") as disk:
            env = s.env(DATABASE_PATH=str(disk.path / "bot.sqlite3"))
            db = await Database.open(disk.path / "bot.sqlite3")  # migrated, then the mount turns read-only
            await db.close()
            read_only(disk.path)
            code, output = await finish(await start(env), timeout=30)
            assert code == 2 and "the database at" in output and "Traceback" not in output
            code, output = await finish(await start(env, "check"), timeout=30)
            assert code == 1 and "database: FAILED" in output


# --- point 12: private files -----------------------------------------------------------------------


async def test_the_database_and_its_folder_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        db = await Database.open(tmp_path / "new-folder" / "bot.sqlite3")
        await db.set_meta("k", "v")
        await db.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new-folder").stat().st_mode) == 0o700
    for name in ("bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"):
        if (tmp_path / "new-folder" / name).exists():
            assert stat.S_IMODE((tmp_path / "new-folder" / name).stat().st_mode) == 0o600, name


# --- point 26 and the 4014 rule: Discord at start ----------------------------------------------------


async def test_discord_unreachable_at_start_is_waited_for(tmp_path: Path) -> None:
    luma = await FakeLuma(token="l-token").start()
    port = free_port()
    discord = FakeDiscord(token="d-token")
    guild = discord.add_guild()
    env = clean_env(
        DISCORD_TOKEN="d-token",
        ACEDATACLOUD_API_TOKEN="l-token",
        ACEDATACLOUD_API_BASE_URL=luma.url,
        DISCORD_API_BASE=f"http://127.0.0.1:{port}/api/v10",
        DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{port}/gateway",
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        WORK_DIR=str(tmp_path),
        WEB_PORT=str(free_port()),
    )
    proc = await start(env)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert b"Discord cannot be reached" in line and b"trying again in" in line
        await discord.start(port)  # the network comes up
        await until_healthy(env, proc)
        assert discord.identify is not None and guild in discord.guilds
    finally:
        code, output = await stop(proc)
        await discord.stop()
        await luma.stop()
    assert code == 0 and "Traceback" not in output and "PyNaCl" not in output and "davey" not in output


async def test_a_stop_while_discord_is_still_unreachable_is_clean(tmp_path: Path) -> None:
    """#25: SIGTERM while the bot still waited for Discord at start ended in a traceback and exit 1 (discord.py's
    client was closed before it was ever set up)."""
    env = clean_env(
        DISCORD_TOKEN="d-token",
        ACEDATACLOUD_API_TOKEN="l-token",
        DISCORD_API_BASE=f"http://127.0.0.1:{free_port()}/api/v10",
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        WORK_DIR=str(tmp_path),
        WEB_PORT=str(free_port()),
    )
    proc = await start(env)
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert b"Discord cannot be reached" in line
    code, output = await stop(proc)
    assert code == 0, output
    assert "Traceback" not in output and "stopping before Discord was reached: nothing was started" in output
    assert "jobs in flight" not in output, "no jobs were started, so none are said to resume"


async def test_a_refused_privileged_intent_names_the_switch_and_exits_2(tmp_path: Path) -> None:
    async with stage(tmp_path) as s:
        s.discord.message_content_allowed = False
        code, output = await finish(await start(s.env(MESSAGE_CONTENT_INTENT="true")), timeout=30)
        assert code == 2
        assert "Privileged Gateway Intents" in output and "MESSAGE_CONTENT_INTENT=false" in output
        assert "Traceback" not in output
