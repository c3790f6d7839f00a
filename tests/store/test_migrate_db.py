"""`luma-bot migrate-db --to postgresql://…`: a bot's SQLite history moved into a real PostgreSQL, verified, and
the bot carrying on there."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.store import Database
from bot.store.postgres import PostgresDatabase

from ..harness import World
from ..helpers import admin


async def migrate(env: dict[str, str], url: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "migrate-db", "--to", url,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


async def test_migrate_db_copies_everything_verifies_and_the_bot_goes_on_there(tmp_path: Path, postgres: Any) -> None:
    sqlite_path = tmp_path / "bot.sqlite3"
    async with World(tmp_path, callbacks=False) as world:
        await admin(world, "quota", {"limit": "member_daily", "value": "7"})
        await admin(world, "block", {"member": world.discord.user_option(world.other_member), "reason": "spam"})
        for prompt in ("a kite over the sea", "a lighthouse at dusk"):
            await world.generate(prompt)
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        await world.stop_bot()

        source = await Database.open(sqlite_path)
        expected = {t: (await source.fetchone(f"SELECT COUNT(*) AS n FROM {t}"))["n"] for t in ("jobs", "videos")}
        await source.close()
        url = await postgres.new_database()
        env = {"DATABASE_PATH": str(sqlite_path), "PATH": "/usr/bin:/bin"}
        code, output = await migrate(env, url)
        assert code == 0, output
        assert "migrate-db: OK" in output and f"videos: {expected['videos']} rows" in output
        again, refused = await migrate(env, url)
        assert again == 2 and "already holds data" in refused, "never into a database that has data"
        target = await PostgresDatabase.open(url)
        for table, count in expected.items():
            assert (await target.fetchone(f"SELECT COUNT(*) AS n FROM {table}"))["n"] == count
        await target.close()

        # the same bot, now on PostgreSQL: the history, the limit and the block came along
        world.database_url = url
        await world.start_bot()
        history = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "history"], {})
        text = (await world.discord.wait_response(history)).response_data["embeds"][0]["description"]
        assert "a kite over the sea" in text and "a lighthouse at dusk" in text
        blocked = await world.generate("still blocked", user=world.other_member)
        assert "spam" in await world.private_answer(blocked)
        log = await admin(world, "log")
        assert "videos per day for each member: 100 → 7" in log["embeds"][0]["description"]
        await world.generate("a third, on PostgreSQL")  # new rows (and audit ids) go on after the copied ones
        await world.wait_for(lambda: len(world.video_messages()) == 3)
        await admin(world, "pause")


async def test_every_table_is_moved(tmp_path: Path) -> None:
    """A table a migration adds is a table migrate-db (and a backup) must carry: none is left behind."""
    from bot.store.transfer import TABLES

    db = await Database.open(tmp_path / "all.sqlite3")
    rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'schema_migrations'")
    await db.close()
    assert {r["name"] for r in rows} == set(TABLES)
