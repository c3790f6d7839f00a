"""The line in front of the API's in-flight cap: fair, visible, restart-proof; a 429 is never a failure.
The order is unit-tested on bot/jobs/line.py; everything else runs the real bot against the fakes, with the
fake API enforcing its own in-flight limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.jobs.line import Line

from ..harness import World
from ..helpers import failure_messages

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL

# --- the fair order, as plain logic ---------------------------------------------------------------------


def test_free_slots_go_round_servers_then_members_then_first_come() -> None:
    line = Line(max_in_flight=1)
    for i in range(40):
        line.add(f"busy-{i}", guild_id=1, user_id=10 + i % 4, since=float(i))
    line.add("small-a", guild_id=2, user_id=20, since=50.0)
    line.add("small-b", guild_id=2, user_id=20, since=51.0)
    order = [w.job_id for w in line.order()]
    assert order.index("small-a") <= 1 and order.index("small-b") <= 3, order[:6]
    busy = [j for j in order if j.startswith("busy")]
    members = [int(j.split("-")[1]) % 4 for j in busy[:8]]
    assert members == [0, 1, 2, 3, 0, 1, 2, 3], "round-robin across the busy server's members"
    assert busy[:4] == ["busy-0", "busy-1", "busy-2", "busy-3"], "first come, first served within each"


def test_the_order_goes_on_from_the_last_starts() -> None:
    line = Line(max_in_flight=2)
    line.add("a1", 1, 1, 0.0)
    line.add("b1", 2, 2, 1.0)
    line.note_start(1, 1, 100.0)  # server 1 had the last slot (before a restart, say)
    assert [w.job_id for w in line.order()] == ["b1", "a1"]


def test_a_429_lowers_the_cap_backs_off_and_recovers_slowly() -> None:
    line = Line(max_in_flight=5)
    for i in range(4):
        line.add(f"j{i}", 1, i, float(i))
        line.start(f"j{i}", 10.0)
    line.rate_limited("j3", now=20.0)
    assert line.cap == 3 and line.free_slots == 0 and line.paused_until == 22.0
    assert next(line.order()).job_id == "j3", "back at the head of the line"
    line.recover(30.0)
    assert line.cap == 3, "not yet: a slot comes back per minute without a 429"
    line.recover(81.0)
    assert line.cap == 4
    line.recover(142.0)
    line.recover(203.0)
    assert line.cap == 5, "never above LUMA_MAX_IN_FLIGHT"


def test_the_estimate_counts_rounds_of_slots() -> None:
    line = Line(max_in_flight=2)
    line.occupy("r1", 1, 1)
    line.occupy("r2", 1, 2)
    line.finish("r1", render_seconds=60.0)
    line.occupy("r1b", 1, 1)
    assert line.render_seconds == 60.0
    assert line.estimated_wait(0) == 60.0 and line.estimated_wait(1) == 60.0 and line.estimated_wait(2) == 120.0


# --- through the fake Discord ---------------------------------------------------------------------------


async def generate(world: World, guild: int, channel: int, user: int, prompt: str) -> Any:
    return await world.discord.slash(guild, channel, user, ["luma", "generate"], {"prompt": prompt})


async def shown_waiting(world: World, interaction: Any) -> dict[str, Any]:
    """Once the job's message shows its place in line (it is in the line then)."""
    await world.discord.wait_response(interaction)
    return await world.wait_for(
        lambda: (
            "Waiting for a free slot" in str(world.discord.messages.get(interaction.original_message_id or 0))
            and world.discord.messages[interaction.original_message_id or 0]
        )
    )


def started_prompts(world: World) -> list[str]:
    return [body["prompt"] for body in world.luma.videos_requests()]


async def test_twelve_requests_from_three_servers_share_two_slots_fairly(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, luma_delay=0.4, LUMA_MAX_IN_FLIGHT="2") as world:
        world.luma.max_in_flight = 2
        guilds = [world.discord.add_guild_with_members(f"g{n}", 2) for n in range(3)]
        await world.stop_bot()
        await world.start_bot()
        # server 0 asks first for 6; servers 1 and 2 ask for 3 each just after
        asks = [(0, i) for i in range(6)] + [(1, i) for i in range(3)] + [(2, i) for i in range(3)]
        for g, i in asks:
            guild, channel, users = guilds[g]
            interaction = await generate(world, guild, channel, users[i % 2], f"g{g} video {i}")
            await world.discord.wait_response(interaction)
        await world.wait_for(lambda: len(world.video_messages()) == 12, timeout=40)
        assert world.luma.in_flight_peak <= 2, "never more than 2 tasks in flight at the API"
        assert [r.get("status") for r in world.luma.callbacks].count(200) == 12
        order = [p.split()[0] for p in started_prompts(world)]
        assert len(order) == 12 and order.count("g0") == 6
        # once all three wait, the slots go round them: g1 and g2 are not left behind g0's six
        assert order[:2] == ["g0", "g0"]
        tail = order[2:8]
        assert tail.count("g1") == 2 and tail.count("g2") == 2 and tail.count("g0") == 2, order
        assert failure_messages(world) == []


async def test_a_busy_server_alone_gets_a_line_not_refusals(tmp_path: Path) -> None:
    """Defaults (5 at once, 20 waiting): its 6th to 20th requests wait, visibly, and all are made."""
    env = {
        "QUOTA_GUILD_CONCURRENT": "5",
        "QUOTA_MEMBER_CONCURRENT": "2",
        "QUOTA_GUILD_WAITING": "20",
        "QUOTA_MEMBER_WAITING": "3",
    }
    async with World(tmp_path, callbacks=False, luma_delay=0.3, **env) as world:
        members = [world.discord.add_user(f"m{i}") for i in range(10)]
        for user in members:
            world.discord.add_member(world.guild, user)
        await world.stop_bot()
        await world.start_bot()
        interactions = []
        for i in range(20):
            interactions.append(await world.generate(f"busy video {i}", user=members[i % 10]))
        for interaction in interactions:
            await world.discord.wait_response(interaction)
        waiting = await world.wait_for(
            lambda: [r for r in world.discord.calls("PATCH", r"@original$") if "Waiting for a free slot" in str(r.body)]
        )
        assert "ahead" in str(waiting[0].body) and "luma:cancel:" in str(waiting[0].body)
        await world.wait_for(lambda: len(world.video_messages()) == 20, timeout=60)
        assert world.luma.in_flight_peak <= 5
        assert not [m for m in world.discord.messages.values() if m["flags"] & 64], "no private refusal"


async def test_cancel_while_waiting_refunds_and_nothing_is_sent(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, LUMA_MAX_IN_FLIGHT="1") as world:
        world.luma.auto_complete = False
        first = await world.generate("takes the only slot")
        await world.discord.wait_response(first)
        await world.wait_for(lambda: world.luma.tasks)
        second = await world.generate("will be cancelled", user=world.other_member)
        message = await shown_waiting(world, second)
        button = message["components"][0]["components"][0]
        stranger = await world.discord.click(second.original_message_id or 0, button["custom_id"], world.member)
        await world.discord.wait_response(stranger)
        assert "Only the member who asked" in stranger.response_data["content"]
        click = await world.discord.click(second.original_message_id or 0, button["custom_id"], world.other_member)
        await world.discord.wait_response(click)
        assert click.response_data["flags"] & 64 and "nothing was charged" in click.response_data["content"]
        [failure] = await world.wait_for(lambda: failure_messages(world))
        assert "Cancelled before it started" in failure["embeds"][0]["description"]
        assert started_prompts(world) == ["takes the only slot"], "the cancelled job never reached the API"
        assert world.bot is not None
        row = await world.bot.db.fetchone("SELECT COUNT(*) AS n FROM reservations WHERE state = 'refunded'")
        assert row["n"] == 1
        world.luma.finish(next(iter(world.luma.tasks)))
        await world.wait_for(lambda: world.video_messages())


async def test_a_restart_keeps_the_line_and_its_order(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, LUMA_MAX_IN_FLIGHT="1") as world:
        world.luma.auto_complete = False
        first = await world.generate("first, rendering")
        await world.discord.wait_response(first)
        await world.wait_for(lambda: world.luma.tasks)
        for i, user in enumerate((world.member, world.other_member, world.admin, world.member)):
            await shown_waiting(world, await world.generate(f"waiting {i}", user=user))
        assert world.bot is not None
        before = [world.bot.jobs._line_jobs[w.job_id].request.prompt for w in world.bot.jobs.line.order()]
        # fair: those who have had no slot yet first, then the member who had one, oldest first
        assert before == ["waiting 1", "waiting 2", "waiting 0", "waiting 3"]
        await world.stop_bot()
        await world.start_bot()
        assert world.bot is not None and len(world.bot.jobs.line.waiting) == 4
        world.luma.auto_complete = True
        world.luma.finish(next(iter(world.luma.tasks)))
        await world.wait_for(lambda: len(world.video_messages()) == 5, timeout=30)
        assert started_prompts(world) == ["first, rendering", *before]


async def test_a_429_at_submit_requeues_instead_of_failing(tmp_path: Path) -> None:
    """The bot allows 3 but the API (shared with another app, say) takes 1: nothing fails, all are made."""
    async with World(tmp_path, callbacks=True, luma_delay=0.3, LUMA_MAX_IN_FLIGHT="3") as world:
        world.luma.max_in_flight = 1
        for i, user in enumerate((world.member, world.other_member, world.admin)):
            interaction = await world.generate(f"squeezed {i}", user=user)
            await world.discord.wait_response(interaction)
        await world.wait_for(lambda: len(world.video_messages()) == 3, timeout=60)
        assert failure_messages(world) == []
        assert world.bot is not None and world.bot.jobs.stats["submit_rate_limited"] >= 1
        assert world.bot.jobs.line.cap < 3, "the cap came down to what the API accepts"


async def test_an_over_long_wait_is_refused_up_front_and_free(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, LUMA_MAX_IN_FLIGHT="1", QUEUE_TIMEOUT="100") as world:
        world.luma.auto_complete = False
        first = await world.generate("takes the slot")  # a render is reckoned at 90 s until one is seen
        await world.discord.wait_response(first)
        second = await world.generate("waits about 90 s", user=world.other_member)
        await shown_waiting(world, second)
        third = await world.generate("would wait 180 s", user=world.admin)
        text = await world.private_answer(third)
        assert "line for Luma is long" in text and "try again <t:" in text and "Nothing was charged" in text
        assert world.bot is not None
        row = await world.bot.db.fetchone("SELECT COUNT(*) AS n FROM jobs")
        assert row["n"] == 2


async def test_a_job_that_waits_too_long_leaves_the_line_refunded(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, LUMA_MAX_IN_FLIGHT="1", QUEUE_TIMEOUT="100") as world:
        world.luma.auto_complete = False
        first = await world.generate("takes the slot")
        await world.discord.wait_response(first)
        second = await world.generate("waits in vain", user=world.other_member)
        await shown_waiting(world, second)
        world.clock.advance(150)
        [failure] = await world.wait_for(lambda: failure_messages(world))
        assert "No slot freed up in time" in failure["embeds"][0]["description"]
        assert started_prompts(world) == ["takes the slot"]
        assert world.bot is not None
        row = await world.bot.db.fetchone("SELECT state FROM reservations ORDER BY id DESC LIMIT 1")
        assert row["state"] == "refunded"


async def test_a_waiting_job_keeps_its_tiers_concurrency_after_a_restart(tmp_path: Path) -> None:
    """#25, suspected: a job waiting in line lost its role's exemption at a restart (the line was rebuilt without
    it), so an exempt member's waiting video was held to the member limits it was accepted without. The exempt role
    is a tier now (#22): the cap its tier gave is kept with the job."""
    from ..helpers import admin

    async with World(tmp_path, callbacks=False, LUMA_MAX_IN_FLIGHT="1", QUOTA_MEMBER_CONCURRENT="1") as world:
        creators = await world.discord.create_role(world.guild, "Creators")
        world.discord.members[(world.guild, world.other_member)]["roles"].append(str(creators))
        tier = {"role": world.discord.role_option(world.guild, creators), "concurrent": "none"}
        await admin(world, "tier set", tier)
        world.luma.auto_complete = False
        first = await world.generate("rendering", user=world.other_member)
        await world.discord.wait_response(first)
        await world.wait_for(lambda: world.luma.tasks)
        await shown_waiting(world, await world.generate("waiting, tiered", user=world.other_member))
        await world.stop_bot()
        world.env["LUMA_MAX_IN_FLIGHT"] = "2"  # a second slot: the member's one render at once must not hold it
        await world.start_bot()
        await world.wait_for(lambda: len(world.luma.tasks) == 2)
        assert started_prompts(world) == ["rendering", "waiting, tiered"]
