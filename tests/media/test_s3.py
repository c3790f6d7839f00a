"""The kept copies in an S3-compatible bucket (MEDIA_S3_BUCKET), against a real S3 server on 127.0.0.1 (moto's
server mode, tests/s3.py): what lands in the bucket, the local cache, switching from the disk, a bucket that
fails, and the start-up sentences. (The attach, serve, prune and delete tests run on both shelves too.)"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bot.luma.fake import MEDIA
from bot.store import MediaStore

from ..harness import World, copy_name
from ..helpers import clean_env, eventually
from ..processes import finish, stage, start
from ..s3 import SECRET, S3Server

SAMPLE = MEDIA.joinpath("sample.mp4").read_bytes()
THUMBNAIL = MEDIA.joinpath("sample.jpg").read_bytes()


async def settled(world: World, video_id: str, tried: int = 0) -> dict[str, str]:
    """The states of a video's files once no download is under way and none is pending (or, with `tried`,
    once each was tried that often)."""
    assert world.bot is not None
    store = MediaStore(world.bot.db)

    async def states() -> dict[str, str] | None:
        await world.bot.archiver.idle()  # type: ignore[union-attr]
        files = await store.of(video_id)
        if files and all((f.tries >= tried) if tried else f.state != "pending" for f in files):
            return {f.kind: f.state for f in files}
        return None

    return await eventually(states, what="the copies to settle")


async def one_video(world: World, prompt: str) -> str:
    await world.generate(prompt)
    [message] = await world.wait_for(lambda: [m for m in world.video_messages() if prompt in str(m)])
    return next(
        c["custom_id"].removeprefix("luma:delete:")
        for row in message["components"]
        for c in row["components"]
        if c.get("custom_id", "").startswith("luma:delete:")
    )


async def test_copies_go_to_the_bucket_and_the_disk_keeps_only_a_passing_cache(
    tmp_path: Path, s3_server: S3Server
) -> None:
    bucket = await s3_server.new_bucket()
    async with World(tmp_path, callbacks=True, **s3_server.env(bucket)) as world:
        assert world.bot is not None
        video_id = await one_video(world, "a lantern on the water")
        assert await settled(world, video_id) == {"video": "kept", "thumbnail": "kept"}
        objects = await s3_server.objects(bucket)
        names = {f"luma-bot/{copy_name(video_id)}": SAMPLE, f"luma-bot/{copy_name(video_id, 'thumbnail')}": THUMBNAIL}
        assert objects == names, "byte for byte, under the prefix"
        rows = await MediaStore(world.bot.db).of(video_id)
        assert {f.path for f in rows} == {f"s3:{name}" for name in names}

        shelf = world.bot.archiver.shelf
        shelf.cache_for = 0  # type: ignore[attr-defined]
        await shelf.tidy()
        assert not list(world.bot.settings.media_path.rglob(f"{video_id}*")), "the local cache is tidied"
        video = await world.bot.jobs.videos.get(world.guild, video_id)
        assert video is not None
        again = await world.bot.archiver.copy(video, 5)  # a redelivery: fetched back from the bucket
        assert again is not None and again.size == len(SAMPLE)
        assert hashlib.sha256(again.path.read_bytes()).digest() == hashlib.sha256(SAMPLE).digest()


async def test_debug_logging_keeps_the_bucket_keys_and_every_token_out_of_the_log(
    tmp_path: Path, s3_server: S3Server
) -> None:
    """#25: LOG_LEVEL=DEBUG with a bucket logged botocore's signed requests (the keys, a session token). The bot's
    own modules log at DEBUG; every library stays at INFO."""
    from ..processes import stop, until_healthy, videos

    bucket = await s3_server.new_bucket()
    async with stage(tmp_path) as s:
        env = s.env(LOG_LEVEL="DEBUG", **s3_server.env(bucket))
        proc = await start(env)
        try:
            await until_healthy(env, proc)
            await s.discord.slash(s.guild, s.channel, s.member, ["luma", "generate"], {"prompt": "in the bucket"})
            await s.discord.wait_for(lambda: videos(s.discord))

            async def in_the_bucket() -> bool:
                return any(k.endswith(".mp4") for k in await s3_server.objects(bucket))

            await eventually(in_the_bucket, timeout=20, what="the copy to reach the bucket")
        finally:
            code, output = await stop(proc)
        assert code == 0
        for secret in (SECRET, "Signature", "Authorization", "Credential=", "d-token", "l-token", "itok-"):
            assert secret not in output, secret
        assert " DEBUG   bot.media.archive: kept the video of " in output, "the bot's own DEBUG lines are there"
        assert not [line for line in output.splitlines() if " DEBUG " in line and " bot." not in line]


async def test_the_bucket_s_local_cache_is_tidied_after_a_restart_too(tmp_path: Path, s3_server: S3Server) -> None:
    """#25: the local files cached beside a bucket were remembered only in memory: after a restart, never removed."""
    bucket = await s3_server.new_bucket()
    async with World(tmp_path, callbacks=True, **s3_server.env(bucket)) as world:
        assert world.bot is not None
        video_id = await one_video(world, "cached before the restart")
        assert await settled(world, video_id) == {"video": "kept", "thumbnail": "kept"}
        folder = world.bot.settings.media_path
        cached = folder / copy_name(video_id)
        assert cached.is_file(), "kept in the bucket, and cached here for a while"
        (folder / "zz").mkdir(exist_ok=True)
        (folder / "zz" / "cut-off.mp4.part").write_bytes(b"half")  # a download a crash cut off
        await world.stop_bot()
        await world.start_bot()
        shelf = world.bot.archiver.shelf
        shelf.cache_for = 0  # type: ignore[attr-defined]
        await shelf.tidy()
        assert not cached.exists(), "tidied like any other cached file"
        assert not (folder / "zz" / "cut-off.mp4.part").exists()
        again = await world.bot.archiver.copy(await world.bot.jobs.videos.get(world.guild, video_id), 5)  # type: ignore[arg-type]
        assert again is not None and again.path.read_bytes() == SAMPLE, "fetched back from the bucket when needed"


async def test_switching_from_the_disk_to_a_bucket_loses_nothing(tmp_path: Path, s3_server: S3Server) -> None:
    import aiohttp

    world = World(tmp_path, callbacks=True)
    async with world:
        assert world.bot is not None
        before = await one_video(world, "kept on the disk")
        await settled(world, before)
        video = await world.bot.jobs.videos.get(world.guild, before)
        assert video is not None and video.serve_key
        await world.stop_bot()

        bucket = await s3_server.new_bucket()
        world.env = {**world.env, **s3_server.env(bucket)}
        await world.start_bot()
        after = await one_video(world, "kept in the bucket")
        await settled(world, after)
        assert [k for k in await s3_server.objects(bucket) if before in k] == [], "the old copy stays where it was"
        assert [k for k in await s3_server.objects(bucket) if after in k], "the new one goes to the bucket"
        served = f"http://127.0.0.1:{world.web_port}/media/{video.serve_key}.mp4"
        async with aiohttp.ClientSession() as http, http.get(served, allow_redirects=False) as response:
            assert response.status == 200 and await response.read() == SAMPLE, "still served, from the disk"


async def test_a_bucket_that_fails_delays_the_copy_and_loses_no_result(tmp_path: Path, s3_server: S3Server) -> None:
    """The bucket goes away after start: the result is posted with the API's link, the copy stays pending;
    once the bucket is back, the next round keeps it."""
    bucket = await s3_server.new_bucket()
    async with World(tmp_path, callbacks=False, ARCHIVE_WAIT="5", **s3_server.env(bucket)) as world:
        assert world.bot is not None
        world.bot.archiver.pauses = (0.01,)  # one quick retry per round
        async with s3_server.client() as s3:
            await s3.delete_bucket(Bucket=bucket)
        video_id = await one_video(world, "a bucket that is gone")
        [message] = world.video_messages()
        assert message["attachments"] == []
        assert message["content"].startswith(f"<@{world.member}> {world.luma.url}"), "the API's link"
        assert await settled(world, video_id, tried=2) == {"video": "pending", "thumbnail": "pending"}
        async with s3_server.client() as s3:
            await s3.create_bucket(Bucket=bucket)
        assert await world.bot.archiver.resume() == 2
        assert await settled(world, video_id) == {"video": "kept", "thumbnail": "kept"}
        assert len(await s3_server.objects(bucket)) == 2


async def test_a_bucket_that_cannot_be_used_stops_run_with_one_sentence(tmp_path: Path, s3_server: S3Server) -> None:
    async with stage(tmp_path) as s:
        env = s.env(**{**s3_server.env("no-such-bucket"), "MEDIA_S3_SECRET_ACCESS_KEY": "a-secret-value"})
        code, output = await finish(await start(env), timeout=30)
        assert code == 2 and "the media bucket cannot be used" in output and "no-such-bucket" in output
        assert "check MEDIA_S3_" in output and "Traceback" not in output and "a-secret-value" not in output
        code, output = await finish(await start(env, "check"), timeout=30)
        assert code == 1 and "media bucket: FAILED" in output


@pytest.mark.parametrize(
    ("module", "setting", "extra"),
    [("aiobotocore", "MEDIA_S3_BUCKET", "s3"), ("asyncpg", "DATABASE_URL", "postgres")],
)
async def test_a_missing_extra_is_named(tmp_path: Path, module: str, setting: str, extra: str) -> None:
    """Without the extra installed (here: its module shadowed by one that cannot be imported), `run` says which
    extra to install, in one sentence, and stops with 2."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / f"{module}.py").write_text(
        f"raise ModuleNotFoundError(\"No module named '{module}'\", name='{module}')\n"
    )
    async with stage(tmp_path) as s:
        value = "a-bucket" if extra == "s3" else "postgresql://luma@127.0.0.1:1/luma"
        env = s.env(**{setting: value})
        env["PYTHONPATH"] = f"{shadow}:{env['PYTHONPATH']}"
        code, output = await finish(await start(env), timeout=30)
        assert code == 2 and "Traceback" not in output, output
        assert f"{setting} needs the {extra} extra" in output and f"pip install 'luma-bot[{extra}]'" in output


async def test_migrate_media_moves_the_disk_copies_into_the_bucket(tmp_path: Path, s3_server: S3Server) -> None:
    """`luma-bot migrate-media` (its own process, the bot stopped): every copy still on the disk goes to the bucket
    under the name new copies get, its row points there, a copy no longer on the disk is counted and left; a
    second run moves nothing; the bot then serves the moved copies from the bucket."""
    import aiohttp

    world = World(tmp_path, callbacks=True)
    async with world:
        assert world.bot is not None
        first = await one_video(world, "the first, on the disk")
        second = await one_video(world, "the second, on the disk")
        for video_id in (first, second):
            await settled(world, video_id)
        video = await world.bot.jobs.videos.get(world.guild, first)
        assert video is not None and video.serve_key
        media = world.bot.settings.media_path
        await world.stop_bot()
        (media / copy_name(second, "thumbnail")).unlink()  # gone from the disk meanwhile

        bucket = await s3_server.new_bucket()
        env = clean_env(DATABASE_PATH=str(tmp_path / "bot.sqlite3"), WORK_DIR=str(tmp_path), **s3_server.env(bucket))
        code, output = await finish(await start(env, "migrate-media"), timeout=60)
        assert code == 0, output
        assert "3 copies moved" in output and "1 kept copies were no longer on the disk" in output
        objects = await s3_server.objects(bucket)
        assert objects[f"luma-bot/{copy_name(first)}"] == SAMPLE == objects[f"luma-bot/{copy_name(second)}"]
        assert objects[f"luma-bot/{copy_name(first, 'thumbnail')}"] == THUMBNAIL and len(objects) == 3
        assert (media / copy_name(first)).is_file(), "the disk files stay until the owner removes them"
        code, output = await finish(await start(env, "migrate-media"), timeout=60)
        assert code == 0 and "0 copies moved" in output

        world.env = {**world.env, **s3_server.env(bucket)}
        await world.start_bot()
        served = f"http://127.0.0.1:{world.web_port}/media/{video.serve_key}.mp4"
        async with aiohttp.ClientSession() as http, http.get(served) as response:
            assert response.status == 200 and response.history, "by a presigned redirect to the bucket"
            assert await response.read() == SAMPLE
