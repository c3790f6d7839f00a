"""The result carries the mp4 as a Discord attachment where it fits; elsewhere (too large, no Attach Files, a
copy not there in time) it carries a link; and what is shown later (history, /luma video, the served copy)
still plays once the API's link has expired. All through the fake Discord, with real bytes."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.luma.fake import MEDIA
from bot.store import MediaStore

from ..conftest import fixture
from ..disk import small_disk
from ..fakes.discord import ATTACH_FILES
from ..fakes.discord_files import MIB
from ..harness import World, copy_name
from ..helpers import SAMPLE, eventually, kept, make_video

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message["components"] for c in row["components"]]


def link_buttons(message: dict[str, Any]) -> list[str]:
    return [b["url"] for b in buttons(message) if b.get("style") == 5]


async def the_video_id(world: World) -> str:
    assert world.bot is not None
    row = await world.bot.db.fetchone("SELECT video_id FROM videos")
    assert row is not None
    return str(row["video_id"])


async def served(world: World) -> str:
    """The served link of the only video (PUBLIC_BASE_URL is set when the world takes callbacks)."""
    assert world.bot is not None
    video = await world.bot.jobs.videos.get(world.guild, await the_video_id(world))
    assert video is not None and video.serve_key
    return f"http://127.0.0.1:{world.web_port}/media/{video.serve_key}.mp4"


def link_of(message: dict[str, Any]) -> str:
    """The link a result shows (its content, after the mention of its member)."""
    mention, _, link = message["content"].partition(" ")
    assert mention.startswith("<@"), message["content"]
    return link


def uploads_refused(world: World) -> list[int]:
    return [r.status for r in world.discord.requests if r.uploads and r.status >= 400]


@pytest.mark.usefixtures("both_shelves")
async def test_a_result_that_fits_carries_the_mp4_and_no_second_player(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        interaction = await world.generate("a lighthouse in a storm")
        [message] = await world.wait_for(lambda: world.video_messages())
        assert message["id"] != str(interaction.original_message_id), "a new message, that notifies"
        assert message["content"] == f"<@{world.member}>"
        [attached] = message["attachments"]
        assert attached["sha256"] == hashlib.sha256(SAMPLE).hexdigest(), "the real bytes of the video"
        assert attached["size"] == len(SAMPLE) and attached["content_type"] == "video/mp4"
        assert "http" not in message["content"], "no link beside the file: one message, one player"
        assert "image" not in message["embeds"][0], "no thumbnail image over the player either"
        assert link_buttons(message) == [], "no Open video button for a video that plays right here"
        assert [b["label"] for b in buttons(message)] == ["Extend", "Again", "Remix", "Delete"]
        assert len(world.result_posts(files=True)) == 1, "posted once, with the file"
        assert world.bot is not None
        await world.wait_for(lambda: world.bot.jobs.stats["delivered"] == 1)  # type: ignore[union-attr]
        [row] = await world.bot.db.fetchall("SELECT attachment_url, message_id FROM videos")
        assert row["attachment_url"] == attached["url"].split("?")[0], "kept without its signature"
        assert row["message_id"] == int(message["id"])
        assert world.bot.jobs.stats["delivered_with_file"] == 1


async def test_over_the_limit_the_result_carries_the_link_and_discord_is_not_asked(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        world.luma.video_bytes = 10 * MIB + 1  # over the interaction's 10 MiB (a guild without boosts)
        await world.generate("a very long take")
        [message] = await world.wait_for(lambda: world.video_messages())
        assert message["attachments"] == []
        assert link_of(message).startswith(f"{world.luma.url}/cdn/"), "the API's link, where Discord plays it"
        assert link_buttons(message) == [link_of(message)]
        assert uploads_refused(world) == [] and not any(r.uploads for r in world.discord.requests)
        await kept(world, await the_video_id(world))  # kept all the same


async def test_a_boosted_guild_takes_a_larger_file(tmp_path: Path) -> None:
    world = World(tmp_path, callbacks=False)
    world.discord.guilds[world.guild]["premium_tier"] = 2  # 50 MiB
    async with world:
        world.luma.video_bytes = 12 * MIB
        await world.generate("a boosted server's video")
        [message] = await world.wait_for(lambda: world.video_messages())
        [attached] = message["attachments"]
        assert attached["size"] == 12 * MIB


async def test_where_the_bot_may_not_attach_it_posts_the_link(tmp_path: Path) -> None:
    """The interaction's app_permissions lack Attach Files: the response carries the link; a channel post
    (the token expired) checks the bot's permissions in the channel the same way. Discord never refuses."""
    world = World(tmp_path, callbacks=False)
    world.discord.deny_bot(world.channel, ATTACH_FILES)
    async with world:
        await world.generate("no files here")
        [message] = await world.wait_for(lambda: world.video_messages())
        assert message["attachments"] == [] and link_of(message).startswith(world.luma.url)

        interaction, task_id = await world.held("no files here either, later")
        world.discord.age_interaction(interaction.token, 16 * 60)
        world.clock.advance(16 * 60)
        world.luma.finish(task_id)
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        posted = world.video_messages()[-1]
        assert posted["id"] != str(interaction.original_message_id), "posted in the channel"
        assert posted["attachments"] == [] and world.luma.url in posted["content"]
        assert uploads_refused(world) == []


async def test_a_channel_post_attaches_where_the_bot_may(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        interaction, task_id = await world.held("a late result")
        world.discord.age_interaction(interaction.token, 16 * 60)
        world.clock.advance(16 * 60)
        world.luma.finish(task_id)
        [message] = await world.wait_for(lambda: world.video_messages())
        assert message["id"] != str(interaction.original_message_id)
        assert message["content"] == f"<@{world.member}>" and len(message["attachments"]) == 1


async def test_permissions_changed_behind_the_bots_back_fall_back_to_the_link(tmp_path: Path) -> None:
    """If Discord refuses the file after all (a permission changed and the bot's cache lags), the same place
    gets the link at once: the member still gets the result there, not in a DM."""
    async with World(tmp_path, callbacks=False) as world:
        interaction, task_id = await world.held("a race with a moderator")
        world.discord.age_interaction(interaction.token, 16 * 60)
        world.clock.advance(16 * 60)
        world.discord.deny_bot(world.channel, ATTACH_FILES)  # the bot is not told
        world.luma.finish(task_id)
        [message] = await world.wait_for(lambda: world.video_messages())
        assert message["channel_id"] == str(world.channel) and message["attachments"] == []
        assert world.luma.url in message["content"]
        assert uploads_refused(world) == [403]


async def test_a_slow_copy_does_not_hold_the_result_back(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, ARCHIVE_WAIT="0.5") as world:
        world.luma.media_delay = 3.0  # the CDN is slower than ARCHIVE_WAIT
        await world.generate("a slow cdn")
        [message] = await world.wait_for(lambda: world.video_messages())
        # the lasting link at once: until the copy is there, it sends the player on to the API's link
        assert message["attachments"] == [] and link_of(message) == await served(world)
        video_id = await the_video_id(world)
        assert await kept(world, video_id), "the copy is kept later, for the history"
        assert len(world.video_messages()) == 1 and not any(r.uploads for r in world.discord.requests), (
            "posted once; no later edit adds a second player"
        )


async def test_a_failing_cdn_posts_the_link_and_keeps_the_copy_in_a_later_round(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, MEDIA_RETRY_INTERVAL="0.5") as world:
        assert world.bot is not None
        world.bot.archiver.pauses = (0.01, 0.01, 0.01)
        world.luma.media_fail.extend([502] * 8)  # a whole round of both files
        await world.generate("a cdn having a bad day")
        [message] = await world.wait_for(lambda: world.video_messages())
        assert message["attachments"] == [] and link_of(message) == await served(world)
        video_id = await the_video_id(world)
        found = await kept(world, video_id)
        assert found.tries == 5, "four failed tries in the first round, then the sweep's"


async def test_a_full_media_disk_never_stops_a_delivery(tmp_path: Path) -> None:
    with small_disk(tmp_path / "media") as disk:
        async with World(tmp_path, callbacks=True, MEDIA_DIR=str(disk.path), MEDIA_RETRY_INTERVAL="0.5") as world:
            assert world.bot is not None
            world.bot.archiver.pauses = (0.01, 0.01, 0.01)
            disk.fill()
            await world.generate("nowhere to keep it")
            [message] = await world.wait_for(lambda: world.video_messages())
            assert message["attachments"] == [] and link_of(message) == await served(world)
            store = MediaStore(world.bot.db)
            video_id = await the_video_id(world)

            async def tried_four_times() -> bool:  # the first round fails on the disk, and the file stays due
                files = await store.of(video_id)
                return bool(files) and all(f.tries >= 4 for f in files)

            await eventually(tried_four_times, what="four tries of the copy")
            assert {f.state for f in await store.of(video_id)} == {"pending"}
            disk.free()
            found = await kept(world, video_id)
            assert await asyncio.to_thread(Path(found.path).read_bytes) == SAMPLE


@pytest.mark.usefixtures("both_shelves")
async def test_the_served_copy_honours_range_and_lasts(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    """With PUBLIC_BASE_URL, the kept copy is served under an unguessable path, seekable; /luma video shows
    that link; an unknown key is a plain 404."""
    async with World(tmp_path, callbacks=True) as world:
        world.luma.video_bytes = 11 * MIB  # too large to attach: the content carries the served link
        _, video_id = await make_video(world, "a seekable video")
        assert world.bot is not None
        video = await world.bot.jobs.videos.get(world.guild, video_id)
        assert video is not None and video.serve_key and len(video.serve_key) >= 22
        served = f"http://127.0.0.1:{world.web_port}/media/{video.serve_key}.mp4"
        await kept(world, video_id)
        async with http.get(served, headers={"Range": "bytes=0-99"}) as response:
            assert response.status == 206 and response.headers["Content-Type"] == "video/mp4"
            assert response.headers["Content-Range"] == f"bytes 0-99/{11 * MIB}"
            assert await response.read() == SAMPLE[:100]
            # from a bucket, by a presigned link (the bytes do not pass through the bot); from the disk, directly
            assert bool(response.history) == (world.bucket is not None)
            assert (world.bucket or "") in response.url.path
        async with http.get(served, headers={"Range": f"bytes={11 * MIB - 10}-"}) as response:
            assert response.status == 206 and await response.read() == b"\0" * 10
        async with http.get(served.replace(video.serve_key, "x" * 24)) as response:
            assert response.status == 404
        page = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "video"], {"id": video_id})
        await world.discord.wait_response(page)
        assert page.response_data["content"] == served and served in link_buttons(page.response_data)
        history = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "history"], {})
        await world.discord.wait_response(history)
        assert f"]({served})" in history.response_data["embeds"][0]["description"]


async def test_history_of_an_attached_video_leads_to_its_message(tmp_path: Path) -> None:
    """Without PUBLIC_BASE_URL, a video that went as a file is found again through its message (Discord's
    attachment URLs expire within a day; the message lasts)."""
    async with World(tmp_path, callbacks=False) as world:
        message, video_id = await make_video(world, "a video that travels as a file")
        assert message["attachments"]
        await world.wait_for(lambda: world.bot.jobs.stats["delivered"] == 1)  # type: ignore[union-attr]
        jump = f"https://discord.com/channels/{world.guild}/{world.channel}/{message['id']}"
        page = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "video"], {"id": video_id})
        await world.discord.wait_response(page)
        assert page.response_data["content"] == jump and link_buttons(page.response_data) == [jump]
        history = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "history"], {})
        await world.discord.wait_response(history)
        assert f"]({jump})" in history.response_data["embeds"][0]["description"]


@pytest.mark.usefixtures("both_shelves")
async def test_pruning_keeps_the_history_and_the_served_link_leads_on(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """MEDIA_MAX_GB: the oldest copies go first; the history row stays, and the served link of a pruned
    video sends the player on to the Discord message that carries it."""
    one = len(SAMPLE) + len(MEDIA.joinpath("sample.jpg").read_bytes())
    room = (one * 3 // 2) / 1024**3  # one video and its thumbnail fit, two do not
    async with World(tmp_path, callbacks=True, MEDIA_MAX_GB=f"{room:.12f}") as world:
        assert world.bot is not None
        world.bot.archiver.pruner.fresh_for = 0  # the test's videos are all "just kept": let them go
        first, first_id = await make_video(world, "the first video")
        await kept(world, first_id)
        _, second_id = await make_video(world, "the second video")
        await kept(world, second_id)
        await world.bot.archiver.idle()
        store = MediaStore(world.bot.db)
        states = {(f.video_id, f.kind): f.state for v in (first_id, second_id) for f in await store.of(v)}
        assert states[(first_id, "video")] == "pruned" and states[(second_id, "video")] == "kept"
        _, used = await store.usage()
        assert used <= room * 1024**3
        copies = await world.copies()
        assert not [n for n in copies if first_id in n], "the copy is gone (from the disk, or from the bucket)"
        assert copies[copy_name(second_id)] == SAMPLE
        page = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "history"], {})
        await world.discord.wait_response(page)
        assert "the first video" in page.response_data["embeds"][0]["description"], "its history row stays"
        video = await world.bot.jobs.videos.get(world.guild, first_id)
        assert video is not None
        served = f"http://127.0.0.1:{world.web_port}/media/{video.serve_key}.mp4"
        async with http.get(served, allow_redirects=False) as response:
            assert response.status == 302
            assert response.headers["Location"] == (
                f"https://discord.com/channels/{world.guild}/{world.channel}/{first['id']}"
            ), "on to the message that still carries the file"


def script_a_result_without_an_id(world: World) -> None:
    """The next task's result carries no video id (the API knows it only by its link, served by the fake's CDN)."""
    seed = dict(fixture("seed_generate_text"))
    del seed["video_id"]
    seed["video_url"] = f"{world.luma.url}/cdn/{seed['task_id']}.mp4"
    seed["thumbnail_url"] = f"{world.luma.url}/cdn/{seed['task_id']}.jpg"
    world.luma.script_next_result(seed)


@pytest.mark.parametrize("callbacks", [False, True], ids=["attachment", "served"])
async def test_extending_a_video_the_api_knows_only_by_link_hands_it_a_link_that_works_now(
    tmp_path: Path, callbacks: bool
) -> None:
    """The API gave no video id, so it can only be sent a link, and its own will have expired: it gets the
    served copy's link, or the Discord attachment's URL fetched afresh (signed for a day)."""
    async with World(tmp_path, callbacks=callbacks) as world:
        script_a_result_without_an_id(world)
        message, video_id = await make_video(world, "a video without an id")
        await world.wait_for(lambda: world.bot.jobs.stats["delivered"] == 1)  # type: ignore[union-attr]
        await world.discord.slash(
            world.guild, world.channel, world.member, ["luma", "extend"], {"video": video_id, "prompt": "and on"}
        )
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 2)
        body = world.luma.videos_requests()[-1]
        assert "video_id" not in body
        if callbacks:
            assert body["video_url"] == await served(world)
        else:
            fetched = world.discord.calls("GET", rf"/channels/{world.channel}/messages/{message['id']}$")
            assert fetched and fetched[-1].status == 200, "the message was fetched for a fresh URL"
            assert body["video_url"] == world.message(int(message["id"]))["attachments"][0]["url"]
            assert body["video_url"].split("?")[0] == message["attachments"][0]["url"].split("?")[0]


async def test_extending_a_pruned_video_never_hands_the_api_a_link_to_a_discord_page(tmp_path: Path) -> None:
    """#25, suspected and real: once the kept copy was pruned, its served link redirects to the Discord message
    (a web page, not a video), yet extending a video the API knows only by link still handed the API that link."""
    async with World(tmp_path, callbacks=True) as world:
        assert world.bot is not None
        script_a_result_without_an_id(world)
        message, video_id = await make_video(world, "a video without an id, pruned")
        await world.wait_for(lambda: world.bot.jobs.stats["delivered"] == 1)  # type: ignore[union-attr]
        copy = await kept(world, video_id)
        await world.bot.archiver.shelf.remove(copy.path)  # MEDIA_MAX_GB made room
        await MediaStore(world.bot.db).pruned(video_id, "video")
        await world.discord.slash(
            world.guild, world.channel, world.member, ["luma", "extend"], {"video": video_id, "prompt": "and on"}
        )
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 2)
        body = world.luma.videos_requests()[-1]
        assert body["video_url"] != await served(world), "not a link that leads to a web page"
        assert body["video_url"] == world.message(int(message["id"]))["attachments"][0]["url"], "the file, afresh"
