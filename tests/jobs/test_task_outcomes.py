"""How a task's outcome is read, as the real API reports it: refusals inside the task, hiccups, records that appear
late, and videos that complete after the bot gave up. Each through the fake Discord, as a member sees it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ..harness import World
from ..helpers import delivered_job, failure_messages, owner_dms, reservation_state

pytestmark = pytest.mark.usefixtures("both_databases")


@pytest.mark.parametrize("callbacks", [False, True])
async def test_lumas_refusal_inside_the_task_is_told_privately(tmp_path: Path, callbacks: bool) -> None:
    """In async mode the API accepts the request and its moderation refuses it inside the task: the member is told
    privately (the public "thinking…" goes), as for a 403 on submit, and nothing is charged."""
    async with World(tmp_path, callbacks=callbacks) as world:
        interaction = await world.generate("a forbidden-topic scene")
        answer = await world.private_answer(interaction)
        assert "refused by Luma's content rules" in answer and "Nothing was charged" in answer
        assert failure_messages(world) == [] and world.video_messages() == []
        job = await delivered_job(world)
        assert job.error_kind == "refused" and job.task_id is not None
        assert await reservation_state(world, job.id) == "refunded"
        assert owner_dms(world) == [], "the member's prompt is not the owner's problem"


@pytest.mark.parametrize(("code", "member_reads", "owner_reads"), [
    ("used_up", "credits are used up", "balance is used up"),
    ("invalid_token", "not set up correctly", "API token was refused"),
])  # fmt: skip
async def test_an_owner_problem_inside_the_task_reaches_the_owner(
    tmp_path: Path, code: str, member_reads: str, owner_reads: str
) -> None:
    async with World(tmp_path, callbacks=True) as world:
        world.luma.fail_next_task("details for the owner", code=code)
        await world.generate("a video on a broken account")
        [message] = await world.wait_for(lambda: failure_messages(world))
        assert member_reads in message["embeds"][0]["description"]
        assert "details for the owner" not in str(message)
        [dm] = await world.wait_for(lambda: owner_dms(world))
        assert owner_reads in dm and "details for the owner" in dm


async def test_success_false_without_a_state_is_a_hiccup_not_a_failure(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        _, task_id = await world.held("a video worth waiting for")
        world.luma.hiccup_next(3)
        looks = len(world.luma.requests)
        await world.wait_for(lambda: sum(r["path"] == "/luma/tasks" for r in world.luma.requests[looks:]) >= 4)
        assert failure_messages(world) == []
        world.luma.finish(task_id)
        await world.wait_for(lambda: world.video_messages())
        assert failure_messages(world) == []
        assert (await delivered_job(world)).state == "completed"


async def test_a_task_the_api_lists_late_is_given_time(tmp_path: Path) -> None:
    """The first looks find no record of the task (many more than the 5 misses that used to fail it): the job
    waits out TASK_RECORD_GRACE, and the video is delivered."""
    async with World(tmp_path, callbacks=False, TASK_RECORD_GRACE="60") as world:
        world.luma.record_after = 7.0  # five looks, 1.5 s apart, find nothing
        world.luma.delay = 7.1
        await world.generate("a clerk who files records late")
        await world.wait_for(lambda: world.video_messages(), timeout=20)
        looks = [r for r in world.luma.requests if r["path"] == "/luma/tasks"]
        assert len(looks) >= 5
        assert failure_messages(world) == []
        assert (await delivered_job(world)).state == "completed"


async def test_a_lost_task_that_completes_later_is_delivered_once(tmp_path: Path) -> None:
    """Given up on as lost (refunded, the member told), the task still finishes: it is delivered after all, once,
    and counted (the API billed it)."""
    async with World(tmp_path, callbacks=False, TASK_RECORD_GRACE="0.5", LATE_POLL_INTERVAL="0.3") as world:
        world.luma.record_after = 3.0
        world.luma.auto_complete = False
        await world.generate("a video lost in the mail")
        [lost] = await world.wait_for(lambda: failure_messages(world))
        assert "lost track of this video" in lost["embeds"][0]["description"]
        job = await delivered_job(world)
        assert job.error_kind == "lost" and await reservation_state(world, job.id) == "refunded"
        world.luma.finish(job.task_id)
        await world.wait_for(lambda: world.video_messages(), timeout=15)
        job = await world.bot.jobs.jobs.get(job.id)  # type: ignore[union-attr]
        assert job is not None and job.state == "completed"
        assert await reservation_state(world, job.id) == "charged"
        await asyncio.sleep(1.0)  # several more late looks would have had their chance to post it twice
        assert len(world.video_messages()) == 1


async def test_a_late_result_is_still_awaited_after_a_restart(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, JOB_TIMEOUT="1", LATE_POLL_INTERVAL="0.3") as world:
        _, task_id = await world.held("a video slower than the bot's patience")
        [timed_out] = await world.wait_for(lambda: failure_messages(world), timeout=15)
        assert "took too long" in timed_out["embeds"][0]["description"]
        await delivered_job(world)
        await world.stop_bot()
        world.luma.finish(task_id)
        await world.start_bot()
        await world.wait_for(lambda: world.video_messages(), timeout=15)
        assert len(world.video_messages()) == 1
