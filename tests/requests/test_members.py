"""What members come back for (#22): their own defaults, private videos, camera moves and Remix, driven as a member's
clicks through the fake Discord, and checked in what reaches the fake Luma API and what others can see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..harness import World
from ..helpers import admin, answer, button, chosen, form_fields, make_video

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


async def my_settings(world: World, options: dict[str, Any], *, user: int | None = None) -> dict[str, Any]:
    """/luma settings, as a member uses it: the private answer."""
    interaction = await world.discord.slash(
        world.guild, world.channel, user or world.member, ["luma", "settings"], options
    )
    return await answer(world, interaction)


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


def public_in(world: World, channel: int) -> list[dict[str, Any]]:
    """What everyone in the channel sees: its messages that are not ephemeral."""
    return [m for m in world.discord.channel_messages(channel) if not m["flags"] & 64]


async def test_a_members_own_defaults_reach_every_path(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, MESSAGE_CONTENT_INTENT="true") as world:
        page = await my_settings(world, {"aspect_ratio": "9:16", "loop": True})
        shown = fields(page)
        assert page["flags"] & 64 and shown["Aspect ratio"] == "9:16 (yours)" and shown["Loop"] == "on (yours)"
        asked = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "quota"], {})
        quota = fields(await answer(world, asked))
        assert quota["Your defaults"].startswith("aspect ratio 9:16; loop on"), "/luma quota shows them"

        message, _ = await make_video(world, "a waterfall seen from below")
        first = world.luma.videos_requests()[-1]
        assert (first["aspect_ratio"], first["loop"]) == ("9:16", True), "the slash command, nothing typed"

        await make_video(world, "a square dance", aspect_ratio="1:1")
        assert world.luma.videos_requests()[-1]["aspect_ratio"] == "1:1", "what the member types wins"

        await world.discord.click(int(message["id"]), button(message, "Again"), world.member)
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 3)
        assert world.luma.videos_requests()[-1]["aspect_ratio"] == "9:16", "Again"

        remix = await world.discord.click(int(message["id"]), button(message, "Remix"), world.member)
        await world.discord.wait_response(remix)
        await world.discord.submit_modal(remix, world.member, {"prompt": "a waterfall at night"})
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 4)
        assert world.luma.videos_requests()[-1]["aspect_ratio"] == "9:16", "Remix"

        picture = world.discord.user_attachment(world.channel, "lake.png")
        posted = await world.discord.post_user_message(
            world.channel, world.other_member, "a lake", attachments=[picture]
        )
        menu = await world.discord.message_command("Animate image", int(posted["id"]), world.member)
        await world.discord.wait_response(menu)
        await world.discord.submit_modal(menu, world.member, {"prompt": "ripples on the lake"})
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 5)
        assert world.luma.videos_requests()[-1]["aspect_ratio"] == "9:16", "Apps › Animate image"

        await world.discord.post_user_message(
            world.channel, world.member, "the water falls faster", reply_to=int(message["id"])
        )
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 6)
        extend = world.luma.videos_requests()[-1]
        assert extend["action"] == "extend" and extend["loop"] is True, "a reply carries the member's loop default"

        forgotten = await my_settings(world, {"forget": "all"})
        assert fields(forgotten)["Aspect ratio"] == "16:9 (this server's)"
        await make_video(world, "back to the server's shape")
        assert world.luma.videos_requests()[-1]["aspect_ratio"] == "16:9"
        other = await make_video(world, "another member's video", user=world.other_member)
        assert other and world.luma.videos_requests()[-1]["loop"] is False, "one member's defaults are theirs only"


async def test_a_private_video_leaves_nothing_in_the_channel_and_is_seen_by_its_member_only(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        mod_log = world.other_channel
        await admin(world, "settings", {"mod_log_channel": world.discord.channel_option(mod_log)})
        before = {m["id"] for m in public_in(world, world.channel)}
        interaction = await world.generate("a secret garden at dawn", private=True)
        await world.discord.wait_response(interaction)
        assert interaction.response_type == 5 and interaction.response_data["flags"] & 64, "the progress is private"
        [result] = await world.wait_for(lambda: world.video_messages())
        assert result["flags"] & 64, "the result is ephemeral: only the member sees it"
        assert "🔒" in fields(result)["Private"]
        assert {m["id"] for m in public_in(world, world.channel)} == before, "nothing new in the channel"
        video_id = fields(result)["Video ID"].strip("`")

        [logged] = await world.wait_for(
            lambda: [m for m in world.discord.channel_messages(mod_log) if "Video made" in str(m)]
        )
        assert "a secret garden at dawn" in logged["embeds"][0]["description"] and "🔒" in str(logged), (
            "moderators see it"
        )

        async def history_of(user: int, options: dict[str, Any] | None = None) -> str:
            asked = await world.discord.slash(world.guild, world.channel, user, ["luma", "history"], options or {})
            await world.discord.wait_response(asked)
            return str(asked.response_data["embeds"])

        assert "secret garden" in await history_of(world.member), "its member sees it in their history"
        assert "🔒 [a secret garden" in await history_of(world.admin), "Manage Server sees it, marked private"
        assert "secret garden" not in await history_of(world.other_member), "another member does not"
        assert "secret garden" not in await history_of(world.admin, {"public": True}), "nor a history shown to all"
        looked = await world.discord.slash(
            world.guild, world.channel, world.other_member, ["luma", "video"], {"id": video_id}
        )
        assert "No such video" in (await answer(world, looked))["content"]
        typed = await world.discord.slash(
            world.guild,
            world.channel,
            world.other_member,
            ["luma", "extend"],
            {"video": "secret", "prompt": "x"},
            focused="video",
        )
        await world.discord.wait_response(typed)
        assert typed.response_data["choices"] == [], "nor does it come up in another member's autocomplete"
        again = await world.discord.click(int(result["id"]), button(result, "Again"), world.other_member)
        assert "not in this server's history" in (await answer(world, again))["content"], "nor another member's Again"

        before = {m["id"] for m in public_in(world, world.channel)}  # (the history shown to all, above)
        mine = await world.discord.click(int(result["id"]), button(result, "Again"), world.member)
        await world.discord.wait_response(mine)
        assert mine.response_data["flags"] & 64, "its member's Again is private too"
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        assert [m for m in public_in(world, world.channel) if m["id"] not in before] == []


async def test_a_private_video_goes_by_dm_once_the_interaction_is_over_and_by_a_private_thread_if_dms_are_closed(
    tmp_path: Path,
) -> None:
    async with World(tmp_path, callbacks=False) as world:
        before = {m["id"] for m in public_in(world, world.channel)}
        interaction, task_id = await world.held("a letter by owl", private=True)
        world.discord.age_interaction(interaction.token, 16 * 60)
        world.luma.finish(task_id)
        [dm] = await world.wait_for(lambda: world.discord.dm_messages(world.member))
        assert "Video ID" in str(dm["embeds"]) and dm["content"].startswith(f"<@{world.member}>")

        world.discord.dm_closed.add(world.other_member)
        interaction, task_id = await world.held("a message in a bottle", private=True, user=world.other_member)
        world.discord.age_interaction(interaction.token, 16 * 60)
        world.luma.finish(task_id)
        [thread] = await world.wait_for(lambda: world.discord.threads_in(world.channel))
        assert world.discord.channels[thread]["type"] == 12, "a private thread"
        assert world.discord.channels[thread]["thread_metadata"]["invitable"] is False
        [posted] = await world.wait_for(lambda: world.discord.channel_messages(thread))
        assert sorted(world.discord.thread_members(thread)) == sorted(
            [int(world.discord.bot_user["id"]), world.other_member]
        )
        assert "a message in a bottle" in posted["embeds"][0]["description"]
        assert world.discord.pings(world.other_member)[-1] == posted, "the member is notified there"
        assert {m["id"] for m in public_in(world, world.channel)} == before, "still nothing in the channel itself"


async def test_a_server_may_refuse_private_videos(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        await admin(world, "settings", {"private_videos": False})
        typed = await world.generate("a private wish", private=True)
        assert "does not allow private videos" in await world.private_answer(typed)
        assert world.luma.videos_requests() == [], "nothing was made, nothing charged"

        page = await my_settings(world, {"private": True})
        assert "here yours are posted in the channel" in str(page["embeds"]), "said where the default is set"
        first = await world.generate("my default is private")
        note = await world.wait_for(
            lambda: [m for m in world.discord.messages.values() if "will be posted in the channel" in m["content"]]
        )
        assert len(note) == 1 and note[0]["flags"] & 64
        [result] = await world.wait_for(lambda: world.video_messages())
        assert not result["flags"] & 64, "made in the open"
        await world.generate("my default is still private")
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        assert len([m for m in world.discord.messages.values() if "posted in the channel" in m["content"]]) == 1, (
            "said once"
        )
        assert first.response_type == 5


async def test_a_camera_move_reaches_the_api_once_and_survives_extend_again_and_remix(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        message, _ = await make_video(world, "a lighthouse in a storm", camera="orbit_left")
        body = world.luma.videos_requests()[-1]
        assert body["prompt"] == "camera orbit left, a lighthouse in a storm", "Luma's own words, once, in front"
        assert fields(message)["Camera move"] == "Orbit left"
        assert "camera orbit" not in message["embeds"][0]["description"], "the member's prompt is shown as written"

        await make_video(world, "camera orbit left, a lighthouse again", camera="orbit_left")
        assert world.luma.videos_requests()[-1]["prompt"] == "camera orbit left, a lighthouse again", "never twice"

        await world.discord.click(int(message["id"]), button(message, "Again"), world.member)
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 3)
        assert world.luma.videos_requests()[-1]["prompt"] == "camera orbit left, a lighthouse in a storm"

        form = await world.discord.click(int(message["id"]), button(message, "Extend"), world.member)
        await world.discord.wait_response(form)
        shown = form_fields(form.response_data)
        assert shown["prompt"]["value"] == "a lighthouse in a storm" and chosen(shown["camera"]) == ["orbit_left"]
        await world.discord.submit_modal(form, world.member, {"prompt": "the storm clears"})
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 4)
        extend = world.luma.videos_requests()[-1]
        assert extend["action"] == "extend" and extend["prompt"] == "camera orbit left, the storm clears"

        history = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "history"], {})
        listed = str((await answer(world, history))["embeds"])
        assert "a lighthouse in a storm" in listed and "camera orbit left, a lighthouse in a storm" not in listed


async def test_remix_reruns_the_edited_prompt_and_move(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        message, _ = await make_video(world, "a red fox in the snow", camera="push_in")
        remix = await world.discord.click(int(message["id"]), button(message, "Remix"), world.other_member)
        await world.discord.wait_response(remix)
        assert remix.response_type == 9, "a form opens"
        shown = form_fields(remix.response_data)
        assert shown["prompt"]["value"] == "a red fox in the snow" and chosen(shown["camera"]) == ["push_in"]
        await world.discord.submit_modal(
            remix, world.other_member, {"prompt": "a white fox in the snow", "camera": "crane_up"}
        )
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 2)
        assert world.luma.videos_requests()[-1]["prompt"] == "camera crane up, a white fox in the snow"
        [_, result] = await world.wait_for(lambda: len(world.video_messages()) == 2 and world.video_messages())
        assert result["content"].startswith(f"<@{world.other_member}>"), "a new video of the one who remixed"
        assert fields(result)["Camera move"] == "Crane up"

        again = await world.discord.click(int(result["id"]), button(result, "Remix"), world.member)
        await world.discord.wait_response(again)
        await world.discord.submit_modal(again, world.member, {"prompt": "a white fox sleeps", "camera": "none"})
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 3)
        assert world.luma.videos_requests()[-1]["prompt"] == "a white fox sleeps", "no move chosen: none sent"
