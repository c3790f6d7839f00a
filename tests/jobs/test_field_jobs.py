"""Field hardening of jobs: strange records, a locked or full disk, a restart long after the API finished.
Every test runs the real bot against the fakes; the disk is a real tmpfs, the lock a real second
connection holding SQLite's write lock."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

from ..conftest import fixture
from ..disk import small_disk
from ..harness import World
from ..helpers import delivered_job, eventually, only_job, reservation_state


def hold_write_lock(path: Path, seconds: float) -> tuple[threading.Thread, threading.Event]:
    """Another process's write lock (a backup, the sqlite3 shell) for `seconds`."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert taken.wait(10)
    return thread, taken


async def healthz(world: World) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{world.web_port}/healthz") as r:
        return r.status, await r.json()


def result_posts(world: World) -> list[Any]:
    return world.result_posts()


async def test_a_malformed_link_in_one_record_strands_nothing(tmp_path: Path) -> None:
    """Point 4: a record whose thumbnail_url is `https://[cdn]/a.jpg` (urlsplit raises on it) in a batch."""
    async with World(tmp_path, callbacks=False) as world:
        odd = {**fixture("seed_generate_text"), "task_id": "odd-task", "thumbnail_url": "https://[cdn]/a.jpg"}
        world.luma.script_next_result(odd)
        await world.generate("the odd one")
        await world.generate("a normal one")
        messages = await world.wait_for(lambda: len(world.video_messages()) == 2 and world.video_messages())
        odd_message = next(m for m in messages if "odd-task" in str(m) or m["embeds"][0].get("image") is None)
        assert odd_message["embeds"][0].get("image") is None, "the unusable thumbnail is left out, not fatal"


async def test_a_write_lock_of_8_seconds_during_generate_still_ends_in_one_video(tmp_path: Path) -> None:
    """Point 25: the request was acknowledged and has 15 minutes; a backup holding the database for a
    few seconds must not turn it into "Something went wrong"."""
    async with World(tmp_path, callbacks=False) as world:
        thread, _ = hold_write_lock(tmp_path / "bot.sqlite3", 8.0)
        interaction = await world.generate("made during a backup")
        await world.discord.wait_response(interaction)
        [message] = await world.wait_for(lambda: world.video_messages(), timeout=40)
        thread.join()
        assert world.discord.pings(world.member) == [message]
        job = await delivered_job(world)
        assert await reservation_state(world, job.id) == "charged"


async def test_a_write_lock_while_a_task_ends_delays_but_does_not_drop_it(tmp_path: Path) -> None:
    """Point 4: a poll whose outcome cannot be written for 7 s is looked at again, not dropped."""
    async with World(tmp_path, callbacks=False) as world:
        _, task_id = await world.held("finished while the database is held")
        thread, _ = hold_write_lock(tmp_path / "bot.sqlite3", 7.0)
        world.luma.finish(task_id)
        await world.wait_for(lambda: world.video_messages(), timeout=40)
        thread.join()
        job = await delivered_job(world)
        assert job.state == "completed" and await reservation_state(world, job.id) == "charged"


async def test_a_full_disk_strands_no_job_and_healthz_says_so(tmp_path: Path) -> None:
    """Points 3 and 4: the outcome cannot be recorded while the disk is full; the job stays scheduled,
    /healthz answers 503 naming the database, and once space is freed the video is delivered once."""
    with small_disk(tmp_path / "disk") as disk:
        db = disk.path / "bot.sqlite3"
        async with World(tmp_path, callbacks=False, DATABASE_PATH=str(db)) as world:
            await world.wait_for(world.bot.is_ready, timeout=5)  # type: ignore[union-attr]
            _, task_id = await world.held("a video on a full disk")
            disk.fill()
            world.luma.finish(task_id)

            async def unhealthy() -> tuple[int, dict] | None:
                answer = await healthz(world)
                return answer if answer[0] == 503 else None

            status, body = await eventually(unhealthy, what="/healthz to answer 503")
            assert status == 503 and "database" in body["problem"] and "full" in body["problem"]
            polls = len(world.luma.requests)  # only task look-ups from here on
            await world.wait_for(lambda: len(world.luma.requests) > polls + 2)
            assert world.video_messages() == [], "nothing is posted that could not be recorded"
            disk.free()
            await world.wait_for(lambda: world.video_messages())
            job = await delivered_job(world)
            assert job.state == "completed" and await reservation_state(world, job.id) == "charged"
            assert (await healthz(world))[0] == 200
            assert len(result_posts(world)) == 1


async def test_a_result_posted_while_the_disk_is_full_is_never_posted_again(tmp_path: Path) -> None:
    """Point 5: the post succeeded but its receipt cannot be written: only the receipt is retried."""
    with small_disk(tmp_path / "disk") as disk:
        db = disk.path / "bot.sqlite3"
        async with World(tmp_path, callbacks=False, DATABASE_PATH=str(db)) as world:
            _, task_id = await world.held("posted once")
            job = await only_job(world)
            await world.wait_for(lambda: world.discord.calls("PATCH", r"@original$"))  # "generating…" shown
            # the result's post is held back by a Discord 429 for 1.5 s: the disk fills in that window
            posting = r"/webhooks/\d+/[^/]+$"  # the interaction's follow-up
            world.discord.rate_limit("POST", posting, retry_after=1.5)
            world.luma.finish(task_id)
            assert world.bot is not None
            await world.wait_for(lambda: [r for r in world.discord.calls("POST", posting) if r.status == 429])
            disk.fill()
            await world.wait_for(lambda: result_posts(world), timeout=10)
            await world.wait_for(lambda: world.bot.jobs.stats["delivery_error"] >= 2)  # type: ignore[union-attr]
            assert len(result_posts(world)) == 1
            assert (await world.bot.jobs.jobs.get(job.id)).delivered_at is None  # type: ignore[union-attr]
            disk.free()
            await delivered_job(world)
            assert len(result_posts(world)) == 1 and len(world.video_messages()) == 1


async def test_resume_asks_the_api_before_calling_an_old_job_timed_out(tmp_path: Path) -> None:
    """Point 6: the video was made (and billed) while the bot was down for longer than JOB_TIMEOUT."""
    async with World(tmp_path, callbacks=False) as world:
        _, task_id = await world.held("made while the bot was away")
        await world.stop_bot()
        world.luma.finish(task_id)
        world.clock.advance(3600)  # JOB_TIMEOUT is 900
        await world.start_bot()
        [message] = await world.wait_for(lambda: world.video_messages())
        assert message["content"].startswith(f"<@{world.member}>"), "the old token expired: posted in the channel"
        job = await delivered_job(world)
        assert job.state == "completed" and await reservation_state(world, job.id) == "charged"


async def test_a_job_that_never_reached_the_api_is_sent_after_a_restart(tmp_path: Path) -> None:
    """Point 7: a crash between saving the job and sending it leaves a job the API never saw: it is sent
    at the next start (that cannot bill twice), and delivered."""
    from bot.jobs.service import NewJob
    from bot.luma import VideoRequest

    async with World(tmp_path, callbacks=False) as world:
        assert world.bot is not None
        request = VideoRequest.generate("saved, never sent")
        await world.bot.jobs.accept(NewJob(world.guild, world.channel, world.member, request))  # the crash
        await world.stop_bot()
        assert world.luma.videos_requests() == []
        await world.start_bot()
        await world.wait_for(lambda: world.video_messages())
        assert len(world.luma.videos_requests()) == 1
        job = await delivered_job(world)
        assert job.state == "completed" and await reservation_state(world, job.id) == "charged"


async def test_a_result_posted_before_a_restart_that_lost_its_receipt_is_not_posted_twice(tmp_path: Path) -> None:
    """Crash window 2, narrowed: the result was posted, its receipt could not be written (a full disk), and the bot
    stopped (for Discord, as a crash). At the next start it is posted again, with the same nonce: Discord returns
    the first message ("enforce_nonce") instead of a second one, and the receipt is written."""
    with small_disk(tmp_path / "disk") as disk:
        db = disk.path / "bot.sqlite3"
        async with World(tmp_path, callbacks=False, DATABASE_PATH=str(db)) as world:
            interaction, task_id = await world.held("posted before a stop")
            job = await only_job(world)
            await world.wait_for(lambda: world.discord.calls("PATCH", r"@original$"))
            world.discord.age_interaction(interaction.token, 16 * 60)  # the result goes to the channel, with a nonce
            world.clock.advance(16 * 60)
            posting = rf"/channels/{world.channel}/messages$"
            world.discord.rate_limit("POST", posting, retry_after=1.5)  # the disk fills while the post waits
            world.luma.finish(task_id)
            await world.wait_for(lambda: [r for r in world.discord.calls("POST", posting) if r.status == 429])
            disk.fill()
            [first] = await world.wait_for(lambda: world.video_messages(), timeout=10)
            await world.wait_for(lambda: world.bot.jobs.stats["delivery_error"] >= 1)  # type: ignore[union-attr]
            await world.stop_bot()  # the receipt was never written: the memory of the post goes with the process
            disk.free()
            await world.start_bot()
            await delivered_job(world)
            assert len(result_posts(world)) == 2, "posted again at the start..."
            assert world.video_messages() == [first], "...and Discord gave the first message back"
            assert (await world.bot.jobs.jobs.get(job.id)).delivered_message_id == int(first["id"])  # type: ignore[union-attr]
