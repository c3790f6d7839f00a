"""`luma-bot backup` and `luma-bot restore` (#24), run as the owner runs them: their own processes, against the
real files and a real PostgreSQL, while a bot works."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from bot.store import Database

from ..harness import World
from ..helpers import clean_env, eventually, make_video

pytestmark = pytest.mark.usefixtures("both_databases")  # the World's database is SQLite, then PostgreSQL


async def cli(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode()


def env_of(world: World, **changes: str) -> dict[str, str]:
    """What the owner's shell holds for this bot: where its database and kept files are."""
    settings = world.settings()
    env = clean_env(DATABASE_PATH=str(settings.database_path), MEDIA_DIR=str(settings.media_path))
    if settings.database_url:
        env["DATABASE_URL"] = settings.database_url
    env.update(changes)
    return env


async def fresh_target(world: World, tmp_path: Path) -> dict[str, str]:
    """An empty database of the World's kind, for the restore."""
    if world.database_url:
        from ..harness import POSTGRES

        assert POSTGRES is not None
        return {"DATABASE_URL": await POSTGRES.new_database()}
    return {"DATABASE_PATH": str(tmp_path / "fresh" / "bot.sqlite3")}


async def test_a_backup_taken_under_load_restores_and_the_bot_on_it_delivers_the_job_in_flight_once(
    tmp_path: Path,
) -> None:
    async with World(tmp_path, callbacks=False) as world:
        await make_video(world, "made before the backup")
        _, task_id = await world.held("in flight at backup time")
        archive = tmp_path / "nightly.tar.gz"
        load = asyncio.gather(*(world.generate(f"written during the backup {i}") for i in range(6)))
        code, out = await cli(["backup", "--to", str(archive), "--media"], env_of(world), tmp_path)
        await load
        assert code == 0 and out.startswith("backup: OK ("), out
        await world.stop_bot()

        target = await fresh_target(world, tmp_path)
        code, out = await cli(["restore", str(archive)], env_of(world, **target), tmp_path)
        assert code == 0 and "restore: OK (" in out and "every count verified" in out, out
        code, again = await cli(["restore", str(archive)], env_of(world, **target), tmp_path)
        assert code == 1 and "is not empty" in again and "--force" in again, "a non-empty target is refused"

        if "DATABASE_URL" in target:
            world.database_url = target["DATABASE_URL"]
        else:
            world.env["DATABASE_PATH"] = target["DATABASE_PATH"]
        await world.start_bot()
        world.luma.finish(task_id)
        [result] = await world.wait_for(
            lambda: [m for m in world.video_messages() if "in flight at backup time" in str(m["embeds"])]
        )
        assert world.bot is not None
        job = await eventually(
            lambda: world.bot.db.fetchone(  # type: ignore[union-attr]
                "SELECT delivered_at FROM jobs WHERE task_id = ? AND delivered_at IS NOT NULL", (task_id,)
            ),
            what="the restored job's delivery recorded",
        )
        assert job is not None
        posts = [r for r in world.result_posts() if "in flight at backup time" in str(r.body)]
        assert len(posts) == 1 and result, "delivered exactly once, by the bot on the restored database"
        made = [m for m in world.video_messages() if "made before the backup" in str(m["embeds"])]
        assert len(made) == 1, "the video made before the backup was not posted again"


async def test_a_damaged_tampered_or_newer_archive_is_refused_with_a_sentence(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        await make_video(world, "a video worth keeping")
        good = tmp_path / "good.tar.gz"
        assert (await cli(["backup", "--to", str(good)], env_of(world), tmp_path))[0] == 0
        target = env_of(world, **await fresh_target(world, tmp_path))

        truncated = tmp_path / "truncated.tar.gz"
        truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        code, out = await cli(["restore", str(truncated)], target, tmp_path)
        assert code == 1 and "restore: FAILED (the archive is damaged or cut short" in out, out

        def rewritten(change: Any) -> Path:
            members: dict[str, bytes] = {}
            with tarfile.open(good, "r:gz") as tar:
                for member in tar.getmembers():
                    members[member.name] = (tar.extractfile(member) or io.BytesIO()).read()
            change(members)
            path = tmp_path / f"changed-{len(list(tmp_path.glob('changed-*')))}.tar.gz"
            with tarfile.open(path, "w:gz") as tar:
                for name, data in members.items():
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
            return path

        def edit_a_prompt(members: dict[str, bytes]) -> None:
            members["tables/videos.jsonl"] = members["tables/videos.jsonl"].replace(b"worth keeping", b"worth nothing")

        code, out = await cli(["restore", str(rewritten(edit_a_prompt))], target, tmp_path)
        assert code == 1 and "the archive was changed after it was made (tables/videos.jsonl" in out, out

        def from_the_future(members: dict[str, bytes]) -> None:
            manifest = json.loads(members["manifest.json"])
            manifest["schema_version"] += 1
            members["manifest.json"] = json.dumps(manifest).encode()

        code, out = await cli(["restore", str(rewritten(from_the_future))], target, tmp_path)
        assert code == 1 and "made by a newer luma-bot" in out, out

        if "DATABASE_URL" not in target:
            assert await _empty(Path(target["DATABASE_PATH"])), "the refused archives wrote nothing"
        code, out = await cli(["restore", str(good)], target, tmp_path)
        assert code == 0, "the good archive still restores: nothing was half-written by the refused ones"


async def _empty(path: Path) -> bool:
    """No jobs in that SQLite file (opening it creates nothing but the migrations' own table)."""
    db = await Database.open(path, migrations=[])
    try:
        rows = await db.fetchall("SELECT name FROM sqlite_master WHERE name = 'jobs'")
        return not rows or not (await db.fetchone("SELECT COUNT(*) AS n FROM jobs"))["n"]
    finally:
        await db.close()


async def test_the_nightly_backup_keeps_the_newest_counts_itself_and_tells_the_owner_of_a_failure_once(
    tmp_path: Path,
) -> None:
    import aiohttp

    from bot.backups import read_backup
    from bot.store.opening import known_version

    from ..helpers import owner_dms

    folder = tmp_path / "backups"
    folder.mkdir()
    for day in ("20250101", "20250102", "20250103"):  # three from before: BACKUP_KEEP=2 keeps the newest two in all
        (folder / f"luma-bot-backup-{day}-030000.tar.gz").write_bytes(b"old")
    env = {"BACKUP_DIR": str(folder), "BACKUP_KEEP": "2", "BACKUP_TIME": "00:00"}
    async with World(tmp_path, callbacks=False, **env) as world:

        async def counted() -> bool:  # counted once written, recorded and the old ones pruned
            async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{world.web_port}/metrics") as got:
                return 'luma_bot_events_total{event="backup_ok"} 1.0' in await got.text()

        await eventually(counted, what="the day's backup, due at start")
        made = [p for p in folder.glob("luma-bot-backup-*.tar.gz") if p.read_bytes() != b"old"]
        assert len(made) == 1
        assert read_backup(made[0], known_version()).schema_version == known_version(), "a backup that restores"
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["luma-bot-backup-20250103-030000.tar.gz", made[0].name]

        assert world.bot is not None and world.bot.nightly is not None
        nightly = world.bot.nightly
        nightly.folder = tmp_path / "a-file"
        nightly.folder.write_text("not a folder")
        assert await nightly.once() is None and await nightly.once() is None
        told = await world.wait_for(lambda: [m for m in owner_dms(world) if "nightly backup failed" in m])
        assert len(told) == 1 and "BACKUP_DIR" in told[0], "told once, however often it fails"
        nightly.folder = folder
        assert await nightly.once() is not None
        nightly.folder = tmp_path / "a-file"
        await nightly.once()
        await world.wait_for(lambda: len([m for m in owner_dms(world) if "nightly backup failed" in m]) == 2)


async def test_one_format_serves_both_databases(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A SQLite bot's backup restores into PostgreSQL, and a PostgreSQL bot's into SQLite."""
    from bot.store import VideoStore

    async with World(tmp_path, callbacks=False) as world:
        _, video_id = await make_video(world, "a video that changes databases")
        archive = tmp_path / "cross.tar.gz"
        assert (await cli(["backup", "--to", str(archive)], env_of(world), tmp_path))[0] == 0
        if world.database_url:  # PostgreSQL → SQLite
            target = clean_env(DATABASE_PATH=str(tmp_path / "other" / "bot.sqlite3"))
        else:  # SQLite → PostgreSQL
            url = await request.getfixturevalue("postgres").new_database()
            target = clean_env(DATABASE_PATH=str(tmp_path / "unused.sqlite3"), DATABASE_URL=url)
    code, out = await cli(["restore", str(archive)], target, tmp_path)
    assert code == 0 and "every count verified" in out, out
    if "DATABASE_URL" in target:
        from bot.store.postgres import PostgresDatabase

        db: Any = await PostgresDatabase.open(target["DATABASE_URL"])
    else:
        db = await Database.open(Path(target["DATABASE_PATH"]))
    try:
        video = await VideoStore(db).get(world.guild, video_id)
        assert video is not None and video.prompt == "a video that changes databases"
    finally:
        await db.close()
