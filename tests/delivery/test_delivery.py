"""How outcomes reach members: failures, forged and duplicate callbacks, vanished messages, restarts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.store import Viewer

from ..conftest import fixture
from ..harness import World
from ..helpers import delivered_job, eventually, failure_messages, only_job, reservation_state

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


async def test_a_failed_task_is_a_new_message_that_pings_and_refunds(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        world.luma.fail_next_task("Luma could not render this scene")
        interaction = await world.generate("a doomed scene")
        await world.wait_for(lambda: failure_messages(world))
        [message] = failure_messages(world)
        assert message["id"] != str(interaction.original_message_id)
        assert world.discord.pings(world.member) == [message], "the member is notified"
        await world.wait_for(lambda: interaction.original_message_id not in world.discord.messages)
        embed = message["embeds"][0]
        assert "Luma could not render this scene" in embed["description"]
        assert embed["footer"]["text"] == "You were not charged for this video."
        assert world.video_messages() == []
        job = await delivered_job(world)
        assert job.state == "failed" and job.delivered_via == "followup"
        assert await reservation_state(world, job.id) == "refunded"


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, "used_up", "credits are used up"),
        (401, "invalid_token", "not set up correctly"),
        (500, "api_error", "Luma failed to make this video"),
    ],
)
async def test_an_api_error_is_explained_and_refunded(tmp_path: Path, status: int, code: str, expected: str) -> None:
    async with World(tmp_path, callbacks=False) as world:
        world.luma.fail_next(status, code, "secret-internal-detail", paths=("/luma/videos",))
        interaction = await world.generate("any prompt at all")
        await world.wait_for(lambda: failure_messages(world))
        [message] = failure_messages(world)
        if message["id"] != str(interaction.original_message_id):  # else: a failure so quick that Discord turned the
            # first follow-up into an edit of the "thinking…" message (the member is watching it anyway)
            await world.wait_for(lambda: interaction.original_message_id not in world.discord.messages)
        assert expected in message["embeds"][0]["description"]
        assert "secret-internal-detail" not in str(message) and "Traceback" not in str(message)
        assert len(world.luma.videos_requests()) == 1, "never re-sent"
        job = await only_job(world)
        assert job.state == "failed" and await reservation_state(world, job.id) == "refunded"


async def test_a_forged_callback_changes_nothing(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        await world.held("wait for me")

        async def with_task_id():  # the API has answered; the bot records the task id next
            job = await only_job(world)
            return job if job.task_id is not None else None

        job = await eventually(with_task_id, what="the task id to be recorded")
        body = fixture("seed_callback_body") | {"task_id": job.task_id}
        base = f"http://127.0.0.1:{world.web_port}/luma/callback"
        async with aiohttp.ClientSession() as http:
            for url, status in [
                (f"{base}/{job.id}/{'0' * 40}", 403),
                (f"{base}/{job.id}/", 404),
                (f"{base}/not-a-job/{'0' * 40}", 403),
            ]:
                async with http.post(url, json=body) as response:
                    assert response.status == status, url
            signer = world.bot.jobs.callback_url_for  # type: ignore[union-attr]
            other = signer("not-a-job")
            async with http.post(other, json=body) as response:
                assert response.status == 404
            real = signer(job.id)
            async with http.post(real, json=body | {"task_id": "someone-elses-task"}) as response:
                assert response.status == 409
            async with http.post(real, data=b"not json") as response:
                assert response.status == 400
        assert world.video_messages() == []
        assert (await world.bot.jobs.jobs.get(job.id)).state == "submitted"  # type: ignore[union-attr]


async def test_a_duplicate_callback_and_a_racing_poll_post_once(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, CALLBACK_POLL_INTERVAL="0.05") as world:
        world.luma.duplicate_callbacks = True
        world.luma.delay = 0.3
        await world.generate("posted exactly once")
        await world.wait_for(lambda: len(world.luma.callbacks) == 2 and all(c["status"] for c in world.luma.callbacks))
        await world.wait_for(lambda: world.video_messages())
        await world.wait_for(lambda: world.bot.jobs.stats["duplicate_outcome"] >= 1)  # type: ignore[union-attr]
        await delivered_job(world)  # both callbacks were answered and the loser saw the job had ended
        assert len(world.video_messages()) == 1
        assert len(world.result_posts()) == 1
        assert world.bot.jobs.stats["duplicate_outcome"] >= 1  # type: ignore[union-attr]


async def test_a_deleted_progress_message_gets_a_new_channel_message(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        interaction, task_id = await world.held("the message will vanish")
        world.discord.delete_message(interaction.original_message_id)  # type: ignore[arg-type]
        world.luma.finish(task_id)
        await world.wait_for(lambda: world.video_messages())
        [message] = world.video_messages()
        assert message["channel_id"] == str(world.channel)
        assert message["content"] == f"<@{world.member}>" and len(message["attachments"]) == 1, "with the file"
        job = await delivered_job(world)
        assert job.delivered_via == "followup" and job.delivered_message_id == int(message["id"])


async def test_a_progress_edit_that_meets_the_deleted_message_does_not_end_the_follow_ups(tmp_path: Path) -> None:
    """Discord answers 404 to an edit of a deleted original response, but the interaction's token still takes
    follow-ups for its 15 minutes: the result goes there (no channel permission needed), not to the channel."""
    async with World(tmp_path, callbacks=False, PROGRESS_INTERVAL="0.05") as world:
        interaction, task_id = await world.held("the message will vanish before a progress tick")
        world.discord.delete_message(interaction.original_message_id)  # type: ignore[arg-type]
        edits = r"/webhooks/\d+/[^/]+/messages/@original$"
        await world.wait_for(lambda: any(r.status == 404 for r in world.discord.calls("PATCH", edits)))
        world.luma.finish(task_id)
        await world.wait_for(lambda: world.video_messages())
        [message] = world.video_messages()
        job = await delivered_job(world)
        assert job.delivered_via == "followup" and job.delivered_message_id == int(message["id"])
        assert message["content"] == f"<@{world.member}>" and len(message["attachments"]) == 1


@pytest.mark.parametrize("bot_knows", [True, False], ids=["bot-clock", "discord-refuses"])
async def test_an_expired_token_posts_in_the_channel(tmp_path: Path, bot_knows: bool) -> None:
    async with World(tmp_path, callbacks=False) as world:
        interaction, task_id = await world.held("a very slow render")
        world.discord.age_interaction(interaction.token, 16 * 60)
        if bot_knows:
            world.clock.advance(16 * 60)
        world.luma.finish(task_id)
        await world.wait_for(lambda: world.video_messages())
        [message] = world.video_messages()
        assert message["id"] != str(interaction.original_message_id)
        assert message["content"].startswith(f"<@{world.member}>")
        assert world.discord.pings(world.member) == [message]
        job = await delivered_job(world)
        assert job.delivered_via == "channel" and job.interaction_token is None
        await world.wait_for(lambda: interaction.original_message_id not in world.discord.messages)  # the stale one


async def test_a_placeholder_that_cannot_go_points_at_the_result(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        interaction, task_id = await world.held("a placeholder that stays")
        world.discord.age_interaction(interaction.token, 16 * 60)
        world.clock.advance(16 * 60)
        placeholder = rf"/messages/{interaction.original_message_id}$"
        world.discord.fail_next("DELETE", placeholder, 403, 50001, "Missing Access")
        world.luma.finish(task_id)
        [message] = await world.wait_for(lambda: world.video_messages())
        placeholder = await world.wait_for(
            lambda: (m := world.message(interaction.original_message_id))["content"].startswith("✅") and m
        )
        assert placeholder["content"] == (
            f"✅ The video is ready: https://discord.com/channels/{world.guild}/{world.channel}/{message['id']}"
        ), "the stale 'generating…' message points at the result"
        assert placeholder["embeds"] == [] and placeholder["components"] == []


async def nowhere_but_dm(world: World, prompt: str) -> dict[str, Any]:
    """A result whose channel refuses the bot, after its interaction's token expired: it goes by DM."""
    interaction, task_id = await world.held(prompt)
    world.discord.age_interaction(interaction.token, 16 * 60)
    world.discord.forbid_channel(world.channel)
    world.luma.finish(task_id)
    [dm] = await world.wait_for(lambda: world.discord.dm_messages(world.member))
    return dm


async def test_a_gone_channel_means_a_dm(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        dm = await nowhere_but_dm(world, "nowhere to post")
        assert "Video ID" in str(dm["embeds"])
        job = await delivered_job(world)
        assert job.delivered_via == "dm"
        assert (await world.bot.jobs.videos.get(world.guild, job.video_id)) is not None  # type: ignore[union-attr]


async def test_nowhere_to_deliver_keeps_the_video_in_history(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        interaction, task_id = await world.held("nobody will see this")
        world.discord.age_interaction(interaction.token, 16 * 60)
        world.discord.forbid_channel(world.channel)
        world.discord.dm_closed.add(world.member)
        world.luma.finish(task_id)
        job = await only_job(world)
        await world.wait_for(lambda: world.bot.jobs.stats["delivered"])  # type: ignore[union-attr]
        job = await world.bot.jobs.jobs.get(job.id)  # type: ignore[union-attr]
        assert job.delivered_via == "none" and job.state == "completed"
        assert await world.bot.jobs.videos.count(world.guild, Viewer()) == 1  # type: ignore[union-attr]


@pytest.mark.parametrize("callbacks", [False, True], ids=["poll", "callback"])
async def test_a_restart_with_a_job_in_flight_posts_once(tmp_path: Path, callbacks: bool) -> None:
    async with World(tmp_path, callbacks=callbacks, CALLBACK_POLL_INTERVAL="0.3") as world:
        interaction, task_id = await world.held("survive a restart")
        await world.wait_for(lambda: world.discord.calls("PATCH", "@original"))  # "generating…"
        await world.stop_bot()
        world.luma.finish(task_id)  # finishes while the bot is down (a callback, if any, is refused)
        if callbacks:
            await world.wait_for(lambda: world.luma.callbacks and world.luma.callbacks[-1]["status"] is not None)
        await world.start_bot()
        await world.wait_for(lambda: world.video_messages())
        await delivered_job(world)
        bot = world.bot
        assert bot is not None
        await world.wait_for(lambda: bot.jobs.in_flight == 0 and not bot.jobs._delivering)  # nothing left to post
        assert len(world.video_messages()) == 1
        [message] = world.video_messages()
        assert world.discord.pings(world.member) == [message]
        await world.wait_for(lambda: interaction.original_message_id not in world.discord.messages)
        job = await only_job(world)
        assert job.state == "completed" and job.delivered_at is not None
        assert await reservation_state(world, job.id) == "charged"


async def test_progress_is_shown_while_generating(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, PROGRESS_INTERVAL="0.2") as world:
        interaction, task_id = await world.held("show me you are alive")
        await world.wait_for(lambda: len(world.discord.calls("PATCH", "@original")) >= 2)
        message = world.message(interaction.original_message_id)
        embed = message["embeds"][0]
        assert embed["title"].startswith("⏳ Generating")
        status = next(f["value"] for f in embed["fields"] if f["name"] == "Status")
        assert "elapsed" in status and "Luma is rendering" in status
        assert message["flags"] & 128 == 0, "no longer 'thinking…'"
        world.luma.finish(task_id)
        await world.wait_for(lambda: world.video_messages())


async def test_healthz_reports_readiness_and_jobs_in_flight(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        await world.held("one in flight")
        await world.wait_for(lambda: world.bot.jobs.in_flight == 1)  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{world.web_port}/healthz") as response:
                assert response.status == 503  # on_ready comes 2 s after the guilds: not ready yet
                assert await response.json() == {
                    "ready": False,
                    "jobs_in_flight": 1,
                    "problem": "not connected to Discord yet",
                }
            await world.wait_for(world.bot.is_ready, timeout=5)  # type: ignore[union-attr]
            async with http.get(f"http://127.0.0.1:{world.web_port}/healthz") as response:
                assert await response.json() == {"ready": True, "jobs_in_flight": 1}
            async with http.get(f"http://127.0.0.1:{world.web_port}/metrics") as response:
                text = await response.text()
                assert "luma_bot_jobs_in_flight 1.0" in text and 'event="submitted"' in text
                assert "luma_bot_ack_seconds_bucket" in text and "luma_bot_delivery_seconds_count" in text


async def test_commands_are_synced_only_when_they_change(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        puts = world.discord.calls("PUT", rf"/guilds/{world.guild}/commands$")
        assert len(puts) == 1
        names = {c["name"] for c in world.discord.commands[world.guild]}
        assert "luma" in names
        await world.stop_bot()
        await world.start_bot()
        assert len(world.discord.calls("PUT", rf"/guilds/{world.guild}/commands$")) == 1


async def test_discord_rate_limits_delay_but_do_not_lose_the_result(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        _, task_id = await world.held("rate limited delivery")
        await world.wait_for(lambda: world.discord.calls("PATCH", "@original"))
        posting = r"/webhooks/\d+/[^/]+$"  # the interaction's follow-up
        world.discord.rate_limit("POST", posting, retry_after=0.3, times=2)
        world.luma.finish(task_id)
        await world.wait_for(lambda: world.video_messages())
        assert len(world.video_messages()) == 1
        statuses = [r.status for r in world.discord.calls("POST", posting)]
        assert statuses.count(429) == 2 and statuses[-1] == 200


async def test_a_callback_that_beats_the_apis_answer_is_delivered_once(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, luma_delay=0.0) as world:
        world.luma.hold_answer_next(0.3)  # the task ends, and calls back, before the submission is answered
        await world.generate("faster than its own receipt")
        await world.wait_for(lambda: world.video_messages())
        # the submission's late answer is what could post "generating…" over the result: wait for it
        await world.wait_for(lambda: world.bot.jobs.stats["submitted"] == 1)  # type: ignore[union-attr]
        job = await delivered_job(world)
        assert world.luma.callbacks[0]["status"] == 200
        assert len(world.video_messages()) == 1
        assert job.state == "completed" and job.task_id is not None
        assert world.bot.jobs.in_flight == 0, "nothing left for the poller"  # type: ignore[union-attr]


async def test_the_extend_button_in_a_dm_explains_where_it_works(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        dm = await nowhere_but_dm(world, "to be read in a DM")
        button = dm["components"][0]["components"][0]
        click = world.discord._interaction_base(3, world.guild, world.channel, world.member)
        dm_channel = world.discord.channels[int(dm["channel_id"])]
        for key in ("guild_id", "guild", "member"):
            click.payload.pop(key)
        click.payload.update(
            user=world.discord.users[world.member],
            channel=dm_channel,
            channel_id=dm["channel_id"],
            context=1,
            message=dm,
            data={"custom_id": button["custom_id"], "component_type": 2},
        )
        await world.discord._send_interaction(click)
        await world.discord.wait_response(click)
        assert click.response_type == 4 and click.response_data["flags"] & 64
        assert "from the server where it was made" in click.response_data["content"]


async def test_the_owner_is_told_the_details_once_when_the_setup_is_wrong(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        owner = int(world.discord.owner["id"])
        world.discord.guilds[world.guild]["name"] = "Creators discord.gg/free-nitro"  # anyone's to choose
        await world.discord.dispatch("GUILD_UPDATE", world.discord.guild_payload(world.guild))
        world.luma.fail_next(403, "used_up", "balance is 0", paths=("/luma/videos",), times=2)
        for prompt in ("first try", "second try"):
            await world.generate(prompt, user=world.member if prompt == "first try" else world.other_member)
        await world.wait_for(lambda: len(failure_messages(world)) == 2)
        [alert] = await world.wait_for(lambda: world.discord.dm_messages(owner))
        assert "balance is used up" in alert["content"]
        assert "`Creators discord.gg/free-nitro`" in alert["content"], "#25: the server's name, as text, never a link"
        assert "code=used_up" in alert["content"]
        member_view = failure_messages(world)[0]["embeds"][0]["description"]
        assert "credits are used up" in member_view and "balance is 0" not in member_view
        # both failures were delivered, and each job's alert decision is made before its delivery ends
        bot = world.bot
        assert bot is not None
        await world.wait_for(lambda: bot.jobs.stats["delivered"] == 2 and not bot.jobs._tasks)
        assert len(world.discord.dm_messages(owner)) == 1, "one alert per problem per half hour"
