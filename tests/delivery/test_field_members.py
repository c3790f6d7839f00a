"""Field hardening, as members see it: odd API answers, hostile prompts, threads, missing permissions,
deleted messages, long links and Discord's refusals. Each drives the bot the way a member's click does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.store import Video

from ..harness import World
from ..helpers import (
    delivered_job,
    eventually,
    extension_messages,
    failure_messages,
    make_video,
    owner_dms,
    reservation_state,
)


def all_embed_text(message: dict[str, Any]) -> str:
    parts = []
    for embed in message.get("embeds", []):
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


# --- odd answers from the API (points 8, 9, 15) ----------------------------------------------------


async def test_a_200_with_success_false_is_a_refusal_not_a_15_minute_wait(tmp_path: Path) -> None:
    """Point 8: `{"success": false, "error": {"code": "used_up"}}` in an HTTP 200, without a task id."""
    async with World(tmp_path, callbacks=False) as world:
        world.luma.answer_next(200, {"success": False, "error": {"code": "used_up", "message": "balance is 0"}})
        await world.generate("a video nobody pays for")
        [message] = await world.wait_for(lambda: failure_messages(world))
        assert "credits are used up" in message["embeds"][0]["description"]
        job = await delivered_job(world)
        assert job.error_kind == "balance" and await reservation_state(world, job.id) == "refunded"
        dms = await world.wait_for(lambda: owner_dms(world))
        assert "balance is used up" in dms[0] and "balance is 0" in dms[0]


async def test_an_unknown_interim_state_and_a_null_error_are_still_in_progress(tmp_path: Path) -> None:
    """Point 9: a record whose state the bot has never seen ("queueing", with `error: null`) is pending."""
    async with World(tmp_path, callbacks=False) as world:
        world.luma.pending_shape = "queueing"
        _, task_id = await world.held("a patient video")
        await world.wait_for(lambda: len([r for r in world.luma.requests if r["path"] == "/luma/tasks"]) >= 3)
        assert world.video_messages() == [] and failure_messages(world) == []
        world.luma.finish(task_id)
        await world.wait_for(lambda: world.video_messages())


async def test_a_top_level_used_up_code_is_still_used_up(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        world.luma.answer_next(403, {"success": False, "code": "used_up", "message": "no credits"})
        await world.generate("a video on an empty wallet")
        [message] = await world.wait_for(lambda: failure_messages(world))
        assert "credits are used up" in message["embeds"][0]["description"]


async def test_an_html_error_page_is_never_shown_to_members(tmp_path: Path) -> None:
    """Point 15: a 400 carrying nginx's page (with an internal address) becomes a plain sentence; the
    owner gets the details by DM."""
    page = (
        "<html><head><title>400 Bad Request</title></head><body><center><h1>400 Bad Request</h1></center>"
        "<hr><center>nginx/1.25.3 (upstream 10.20.30.40:8080)</center></body></html>"
    )
    async with World(tmp_path, callbacks=False) as world:
        world.luma.answer_next(400, page, content_type="text/html")
        await world.generate("a video behind a proxy")
        [message] = await world.wait_for(lambda: failure_messages(world))
        shown = all_embed_text(message) + message.get("content", "")
        assert "did not understand" in shown
        for leak in ("nginx", "10.20.30.40", "<html", "Bad Request"):
            assert leak not in shown
        dms = await world.wait_for(lambda: owner_dms(world))
        assert "nginx" in dms[0]


async def test_the_apis_own_message_is_shortened(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        world.luma.answer_next(400, {"error": {"code": "bad_request", "message": "the frame is too dark " * 60}})
        await world.generate("a dark scene")
        [message] = await world.wait_for(lambda: failure_messages(world))
        description = message["embeds"][0]["description"]
        assert "the frame is too dark" in description and len(description) < 420 and description.endswith("…")


# --- hostile prompts (point 16) --------------------------------------------------------------------

MASKED_LINK = re.compile(r"(?<!\\)\[[^\]]*\]\(\s*<?https?://evil")


async def test_markdown_in_a_prompt_never_becomes_a_live_link(tmp_path: Path) -> None:
    prompt = "[✅ Claim your free Nitro](https://evil.example/login) **now** @everyone"
    async with World(tmp_path, callbacks=False, PROGRESS_INTERVAL="0.2") as world:
        _, task_id = await world.held(prompt)
        # the progress message, then the result, then a failure: every embed that shows the prompt
        progress = await world.wait_for(
            lambda: [r for r in world.discord.calls("PATCH", r"/messages/@original$") if "Generating" in str(r.body)]
        )
        world.luma.finish(task_id)
        [result] = await world.wait_for(lambda: world.video_messages())
        world.luma.auto_complete = True
        world.luma.fail_next_task("no")
        await world.generate(prompt)
        [failure] = await world.wait_for(lambda: failure_messages(world))
        history = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "history"], {})
        await world.discord.wait_response(history)
        texts = [all_embed_text(progress[0].body), all_embed_text(result), all_embed_text(failure)]
        texts.append(all_embed_text(history.response_data))
        for text in texts:
            assert "Claim your free Nitro" in text and not MASKED_LINK.search(text), text


# --- one options rule for every path (point 18) ----------------------------------------------------


async def test_server_defaults_reach_every_extend_path(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, MESSAGE_CONTENT_INTENT="true") as world:
        message, video_id = await make_video(world, "a kite over the sea")
        admin = await world.discord.slash(
            world.guild, world.channel, world.admin, ["luma-admin", "settings"], {"loop": True, "enhancement": False}
        )
        await world.discord.wait_response(admin)
        before = len(world.luma.videos_requests())
        # slash
        await world.discord.slash(
            world.guild, world.channel, world.member, ["luma", "extend"], {"video": video_id, "prompt": "higher"}
        )
        await world.wait_for(lambda: len(extension_messages(world)) == 1)
        # the Extend button's form
        click = await world.discord.click(int(message["id"]), f"luma:extend:{video_id}", world.member)
        await world.discord.wait_response(click)
        await world.discord.submit_modal(click, world.member, {"prompt": "the string snaps"})
        await world.wait_for(lambda: len(extension_messages(world)) == 2)
        # Apps › Extend video
        menu = await world.discord.message_command("Extend video", int(message["id"]), world.member)
        await world.discord.wait_response(menu)
        await world.discord.submit_modal(menu, world.member, {"prompt": "it lands in a tree"})
        await world.wait_for(lambda: len(extension_messages(world)) == 3)
        # a plain reply
        await world.discord.post_user_message(world.channel, world.member, "birds gather", reply_to=int(message["id"]))
        await world.wait_for(lambda: len(extension_messages(world)) == 4)
        bodies = world.luma.videos_requests()[before:]
        assert len(bodies) == 4
        for body in bodies:
            assert body["action"] == "extend" and body["loop"] is True and body["enhancement"] is False, body


# --- threads (point 19) ----------------------------------------------------------------------------


async def test_threads_of_an_allowed_channel_are_allowed(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        thread = world.discord.add_thread(world.channel)
        await world.stop_bot()
        await world.start_bot()  # the guild now arrives with its thread
        allow = await world.discord.slash(
            world.guild,
            world.channel,
            world.admin,
            ["luma-admin", "settings"],
            {"allow_channel": world.discord.channel_option(world.channel)},
        )
        await world.discord.wait_response(allow)
        in_thread = await world.generate("made in a thread", channel=thread)
        await world.discord.wait_response(in_thread)
        assert in_thread.response_type == 5, "deferred publicly: allowed"
        [result] = await world.wait_for(lambda: world.video_messages())
        assert result["channel_id"] == str(thread)
        elsewhere = await world.generate("made elsewhere", channel=world.other_channel)
        assert "can only be made in" in await world.private_answer(elsewhere)


# --- replies without Read Message History (point 20) ------------------------------------------------


async def test_the_reply_listener_answers_even_without_read_message_history(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, MESSAGE_CONTENT_INTENT="true") as world:
        message, _ = await make_video(world, "a quiet lake")
        world.discord.deny_bot(world.channel, 1 << 16)
        await world.discord.post_user_message(world.channel, world.member, "ok", reply_to=int(message["id"]))
        answer = await world.wait_for(
            lambda: [
                m
                for m in world.discord.channel_messages(world.channel)
                if "reply with a prompt of" in m["content"] and "message_reference" not in m
            ]
        )
        assert answer[0]["content"].startswith(f"<@{world.member}>"), "it names the member it answers"
        refused = world.discord.calls("POST", rf"/channels/{world.channel}/messages$")
        assert [r.status for r in refused][-2:] == [403, 200], "tried as a reply first, then plainly"


# --- a deleted progress message (point 21) ---------------------------------------------------------


async def test_progress_edits_stop_at_the_first_404(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, PROGRESS_INTERVAL="0.1") as world:
        interaction, task_id = await world.held("a message that will vanish")
        await world.wait_for(lambda: world.discord.calls("PATCH", r"/messages/@original$"))
        world.discord.delete_message(interaction.original_message_id or 0)
        await world.wait_for(lambda: [r for r in world.discord.calls("PATCH", r"@original$") if r.status == 404])
        world.luma.finish(task_id)
        [result] = await world.wait_for(lambda: world.video_messages())
        # the token outlives its original response: the result is the interaction's follow-up, in the channel
        assert result["channel_id"] == str(world.channel) and "interaction_metadata" in result
        gone = [r for r in world.discord.calls("PATCH", r"/messages/@original$") if r.status == 404]
        assert len(gone) == 1, "one 404, then never that message again"
    # (World's exit checks that the 404'd message was not requested again: Discord's invalid-request rule)


# --- a history page measured as rendered (point 22) ------------------------------------------------


async def test_history_with_long_links_stays_within_discords_limit(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        assert world.bot is not None
        async with world.bot.db.transaction() as tx:
            for i in range(10):
                url = f"https://cdn.example/{i}/" + "signed-token-part/" * 24 + "video.mp4"  # ~450 characters
                who = (world.guild, world.member, world.channel)
                video = Video(f"long-{i}", *who, f"t{i}", "generate", "p " * 40, url)
                await world.bot.jobs.videos.insert(tx, video)
        page = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "history"], {})
        await world.discord.wait_response(page)
        assert page.response_type == 4, "Discord accepted the page"
        description = page.response_data["embeds"][0]["description"]
        assert len(description) <= 4096 and "long-9" in description and "long-0" in description
        assert "](https://cdn.example/" in description, "the links that fit are kept"


# --- a private refusal stays private (point 23) ----------------------------------------------------


async def test_a_quota_refusal_stays_private_when_the_placeholder_cannot_be_deleted(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, QUOTA_MEMBER_DAILY="0") as world:
        world.discord.fail_next("DELETE", r"/messages/@original$", 403, 50001, "Missing Access")
        interaction = await world.generate("one too many")
        await world.discord.wait_response(interaction)
        private = await world.wait_for(
            lambda: [m for m in world.discord.messages.values() if m["flags"] & 64 and "Nothing was" in m["content"]]
        )
        public = world.discord.messages[interaction.original_message_id or 0]
        assert "Nothing was charged" not in public["content"] and public["content"] == "⏹️ This request was not started."
        assert private[0]["id"] != public["id"]


# --- permanent refusals end a delivery path at once (point 24) ---------------------------------------


async def test_a_permanent_refusal_moves_to_the_next_path_at_once(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, MESSAGE_CONTENT_INTENT="true") as world:
        message, _ = await make_video(world, "a paper boat")
        posts_before = len(world.discord.calls("POST", rf"/channels/{world.channel}/messages$"))
        world.discord.fail_next("POST", rf"/channels/{world.channel}/messages$", 400, 50035, "Invalid Form Body")
        await world.discord.post_user_message(world.channel, world.member, "it sails away", reply_to=int(message["id"]))
        dm = await world.wait_for(lambda: [m for m in world.discord.dm_messages(world.member) if m.get("embeds")])
        assert "Extended" in dm[0]["embeds"][0]["title"]
        job = await recorded_extension(world)
        assert job.delivered_via == "dm"
        posts = world.discord.calls("POST", rf"/channels/{world.channel}/messages$")[posts_before:]
        assert [r.status for r in posts] == [400], "refused once, and not tried again"


async def recorded_extension(world: World) -> Any:
    """The extend job, once its delivery is recorded."""
    assert world.bot is not None
    sql = "SELECT id FROM jobs WHERE action = 'extend' AND delivered_at IS NOT NULL"
    row = await eventually(lambda: world.bot.db.fetchone(sql), what="the extension's delivery to be recorded")  # type: ignore[union-attr]
    return await world.bot.jobs.jobs.get(row["id"])
