"""Keeping a copy of every result (the API's links expire): real bytes from the fake API's CDN, streamed
to MEDIA_DIR, retried, capped, and picked up again after a restart. The bot runs against the fakes."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import aiohttp
import pytest

from bot.luma.fake import MEDIA
from bot.media import Archiver, DownloadError
from bot.store import Database, MediaStore

from ..harness import World
from ..helpers import eventually, make_video

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def kept_files(world: World, count: int = 2) -> list:
    """The media rows, once `count` of them are settled (kept or failed) and no download is under way."""
    assert world.bot is not None
    store = MediaStore(world.bot.db)

    async def settled() -> list | None:
        await world.bot.archiver.idle()  # type: ignore[union-attr]
        rows = await world.bot.db.fetchall("SELECT video_id FROM videos")  # type: ignore[union-attr]
        files = [f for r in rows for f in await store.of(r["video_id"])]
        return files if len(files) >= count and all(f.state != "pending" for f in files) else None

    return await eventually(settled, what="the downloads to settle")


async def test_a_finished_video_and_its_thumbnail_are_kept_byte_for_byte(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        await world.generate("keep me")
        await world.wait_for(lambda: world.video_messages())
        kept = await kept_files(world)
        assert {f.kind for f in kept} == {"video", "thumbnail"} and all(f.state == "kept" for f in kept)
        for f in kept:
            path = Path(f.path)
            assert path.is_relative_to(tmp_path / "media"), "MEDIA_DIR defaults to media/ beside the database"
            sample = MEDIA.joinpath("sample.mp4" if f.kind == "video" else "sample.jpg").read_bytes()
            assert digest(await asyncio.to_thread(path.read_bytes)) == digest(sample) and f.bytes == len(sample)
            assert not list(path.parent.glob("*.part")), "no partial file left behind"


async def test_a_download_cut_by_a_restart_is_finished_after_it(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, ARCHIVE_WAIT="0.5") as world:
        world.luma.media_delay = 5  # the CDN is slow: the bot stops while it waits
        await world.generate("finish me later")
        await world.wait_for(lambda: world.video_messages())
        await world.wait_for(lambda: world.luma.media_requests)
        await world.stop_bot()
        world.luma.media_delay = 0
        await world.start_bot()
        kept = await kept_files(world)
        assert len(kept) == 2 and all(f.state == "kept" for f in kept)
        assert len(world.luma.media_requests) >= 3, "asked again after the restart"


async def test_what_is_not_kept(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """http(s) only; a file over the cap is refused by its Content-Length, before a byte is written."""
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        from bot.luma.fake import FakeLuma

        async with FakeLuma(token="t") as fake:
            fake.video_bytes = 5 * 1024 * 1024
            archiver = Archiver(http, MediaStore(db), tmp_path / "media", max_bytes=1024 * 1024)
            with pytest.raises(DownloadError, match="over the limit") as info:
                await archiver.download(f"{fake.url}/cdn/big.mp4", tmp_path / "media" / "big.mp4")
            assert info.value.final and not (tmp_path / "media" / "big.mp4").exists()
            with pytest.raises(DownloadError, match="http"):
                await archiver.download("file:///etc/passwd", tmp_path / "media" / "x.mp4")
            roomy = Archiver(http, MediaStore(db), tmp_path / "media", max_bytes=10 * 1024 * 1024)
            path, size = await roomy.download(f"{fake.url}/cdn/big.mp4", tmp_path / "media" / "big.mp4")
            assert size == 5 * 1024 * 1024 == path.stat().st_size
            assert path.read_bytes()[4:8] == b"ftyp", "still an mp4 (padded with a free box)"
    finally:
        await db.close()


async def test_a_source_that_trickles_gives_its_download_slot_back(tmp_path: Path) -> None:
    """#25: a CDN that sends a few bytes at a time kept each download (and, four of them, every slot) for hours;
    the sock_read timeout only catches one that stops. After a grace, a download must keep a minimum average rate."""
    async with World(tmp_path, callbacks=False, ARCHIVE_WAIT="0") as world:
        assert world.bot is not None
        world.bot.archiver.min_rate, world.bot.archiver.rate_grace = 16 * 1024, 1.0  # the real ones: 32 KiB/s, 30 s
        world.bot.archiver.pauses = (0.1,)  # one quick second try, then the later rounds
        world.luma.media_trickle = 0.2  # 1.25 KiB/s
        _, video_id = await make_video(world, "from a struggling CDN")
        await world.bot.archiver.idle()
        rows = await world.bot.db.fetchall("SELECT kind, error FROM media WHERE video_id = ?", (video_id,))
        assert {r["kind"]: r["error"] for r in rows}["video"].startswith("too slow ("), rows
        world.luma.media_trickle = None
        _, healthy = await make_video(world, "from a healthy CDN")
        await world.bot.archiver.idle()
        kept = await world.bot.db.fetchall("SELECT state FROM media WHERE video_id = ?", (healthy,))
        assert [r["state"] for r in kept] == ["kept", "kept"]


def test_every_id_has_a_file_of_its_own_inside_the_folder(tmp_path: Path) -> None:
    """#25: `Archiver.name` mapped "a/b" and "a_b" (any two ids differing only in unsafe characters) to one file,
    and an id of dots led outside MEDIA_DIR."""
    from types import SimpleNamespace

    ids = ["a/b", "a_b", "a.b", "..", "../../etc/passwd", "…", "x" * 300, "x" * 300 + "y", "ΝUDE", "NUDE"]
    names = {Archiver.name(SimpleNamespace(video_id=i, kind="video")) for i in ids}  # type: ignore[arg-type]
    assert len(names) == len(ids), "one file per id"
    folder = tmp_path / "media"
    for name in names:
        assert (folder / name).resolve().is_relative_to(folder.resolve()), name
        assert ".." not in name and name.count("/") == 1 and name.endswith(".mp4")


async def test_keeping_a_copy_does_not_count_every_kept_file_again(tmp_path: Path) -> None:
    """MEDIA_MAX_GB is watched by a running count: the kept bytes are summed in the database once (and every few
    minutes), not once per new copy, which scanned every kept row twice per video while holding the database."""
    async with World(tmp_path, callbacks=True) as world:
        assert world.bot is not None
        store = world.bot.archiver.store
        counts = []
        usage = store.usage

        async def counted() -> tuple[int, int]:
            counts.append(1)
            return await usage()

        store.usage = counted  # type: ignore[method-assign]
        for n in range(3):
            await make_video(world, f"video number {n}")
        await kept_files(world, 6)
        # (the first copies may race to the first count; before, every one of the six copies counted)
        assert len(counts) <= 2, "a count at first, then kept up as copies are recorded"
