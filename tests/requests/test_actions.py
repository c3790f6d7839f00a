"""Again, Delete and Apps › Animate image, pressed and used the way members do, through the fake Discord."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..harness import World
from ..helpers import admin, button, form_fields, mod_log, reserved

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


def sent_options(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("callback_url",)}


async def test_again_runs_the_same_request_as_a_new_job_for_whoever_presses_it(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        await world.generate("a neon city at night", aspect_ratio="9:16", loop=True, enhancement=False)
        [message] = await world.wait_for(lambda: world.video_messages())
        first = world.luma.videos_requests()[-1]
        await world.discord.click(int(message["id"]), button(message, "Again"), world.other_member)
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        second = world.luma.videos_requests()[-1]
        assert sent_options(second) == sent_options(first)
        assert second["aspect_ratio"] == "9:16" and second["loop"] is True and second["enhancement"] is False
        assert await reserved(world) == 2, "a new quota unit"
        rows = await world.bot.db.fetchall("SELECT user_id FROM jobs ORDER BY created_at")  # type: ignore[union-attr]
        assert [r["user_id"] for r in rows] == [world.member, world.other_member], "charged to who pressed it"


async def test_again_with_a_frame_that_is_gone_offers_the_form(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        frame = world.discord.user_attachment(world.channel, "first.png")
        await world.discord.slash(
            world.guild,
            world.channel,
            world.member,
            ["luma", "generate"],
            {"prompt": "a paper plane takes off", "start_image": frame["id"]},
            attachments={"start_image": frame},
        )
        [message] = await world.wait_for(lambda: world.video_messages())
        assert world.luma.videos_requests()[-1]["start_image_url"] == frame["url"]

        world.clock.advance(2 * 86400)  # Discord's link to the uploaded frame has expired
        pressed = await world.discord.click(int(message["id"]), button(message, "Again"), world.member)
        await world.discord.wait_response(pressed)
        assert pressed.response_type == 4 and pressed.response_data["flags"] & 64, "said privately"
        assert "start frame of this video is gone" in pressed.response_data["content"]
        assert len(world.luma.videos_requests()) == 1, "nothing sent blind"

        note = world.discord.messages[pressed.original_message_id]  # type: ignore[index]
        form_button = note["components"][0]["components"][0]["custom_id"]
        opened = await world.discord.click(int(note["id"]), form_button, world.member)
        await world.discord.wait_response(opened)
        inputs = form_fields(opened.response_data)
        assert inputs["prompt"]["value"] == "a paper plane takes off", "the prompt is filled in"
        assert not inputs["start_image_url"].get("value"), "the gone frame is not"
        new_frame = f"{world.luma.url}/cdn/frame.jpg"
        await world.discord.submit_modal(
            opened, world.member, {"prompt": "a paper plane takes off", "start_image_url": new_frame}
        )
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        assert world.luma.videos_requests()[-1]["start_image_url"] == new_frame


@pytest.mark.usefixtures("both_shelves")
async def test_deleting_a_result_whose_copy_is_still_on_its_way_keeps_nothing(tmp_path: Path) -> None:
    """Delete pressed while the bot is still downloading the copies (a slow CDN): the downloads stop, and a copy
    that arrives anyway is not recorded nor left on the disk or in the bucket."""
    async with World(tmp_path, callbacks=True, ARCHIVE_WAIT="0") as world:
        assert world.bot is not None
        world.luma.media_delay = 2  # the CDN is slow: the copies are on their way when Delete is pressed
        await world.generate("a copy on its way")
        [message] = await world.wait_for(lambda: world.video_messages())
        await world.wait_for(lambda: len(world.luma.media_requests) >= 2)  # the mp4 and the thumbnail
        assert world.bot.archiver._tasks, "the downloads are under way"
        video_id = button(message, "Delete").removeprefix("luma:delete:")
        pressed = await world.discord.click(int(message["id"]), button(message, "Delete"), world.member)
        await world.wait_for(
            lambda: "Deleted" in str(world.discord.messages.get(pressed.original_message_id or 0, {}).get("content"))
        )
        await world.bot.archiver.idle()
        assert not [n for n in await world.copies() if video_id in n], "nothing kept for a deleted video"
        assert not list(world.bot.settings.media_path.rglob(f"{video_id}*")), "no file, whole or partial"
        rows = await world.bot.db.fetchall("SELECT state FROM media WHERE video_id = ?", (video_id,))
        assert sorted(r["state"] for r in rows) == ["pruned", "pruned"]


@pytest.mark.usefixtures("both_shelves")
async def test_delete_is_for_the_requester_or_manage_messages_and_keeps_the_row(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True) as world:
        await admin(world, "settings", {"mod_log_channel": world.discord.channel_option(world.other_channel)})
        await world.generate("a glass of water")
        [message] = await world.wait_for(lambda: world.video_messages())
        video_id = button(message, "Delete").removeprefix("luma:delete:")

        refused = await world.discord.click(int(message["id"]), button(message, "Delete"), world.other_member)
        await world.discord.wait_response(refused)
        assert refused.response_data["flags"] & 64 and "Manage Messages" in refused.response_data["content"]
        assert message["id"] in {m["id"] for m in world.video_messages()}, "still there"

        pressed = await world.discord.click(int(message["id"]), button(message, "Delete"), world.member)
        await world.wait_for(lambda: not world.video_messages())

        def answer() -> dict[str, Any] | None:
            found = world.discord.messages.get(pressed.original_message_id or 0)
            return found if found and "Deleted" in found["content"] else None

        assert (await world.wait_for(answer))["flags"] & 64, "said privately"
        video = await world.bot.jobs.videos.get(world.guild, video_id)  # type: ignore[union-attr]
        assert video is not None and video.deleted_at is not None and video.deleted_by == world.member
        assert not [n for n in await world.copies() if video_id in n], "the kept copy is gone (disk or bucket)"
        assert not list(world.bot.settings.media_path.rglob(f"{video_id}*")), "and no local file of it"  # type: ignore[union-attr]
        history = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "history"], {})
        await world.discord.wait_response(history)
        assert video_id not in history.response_data["embeds"][0]["description"]
        await world.wait_for(lambda: any(e["title"] == "🗑️ Result deleted" for e in mod_log(world)))

        # a moderator (Manage Messages) may delete someone else's result
        mods = world.discord.add_role(world.guild, "Mods", permissions=1 << 13)
        moderator = world.discord.add_user("moderator")
        world.discord.add_member(world.guild, moderator, roles=[mods])
        await world.generate("a second glass")
        [other] = await world.wait_for(lambda: world.video_messages())
        await world.discord.click(int(other["id"]), button(other, "Delete"), moderator)
        await world.wait_for(lambda: not world.video_messages())


async def test_animate_image_makes_the_picture_the_start_frame(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        picture = world.discord.user_attachment(world.channel, "cat.png")
        posted = await world.discord.post_user_message(
            world.channel, world.other_member, "my cat", attachments=[picture]
        )
        menu = await world.discord.message_command("Animate image", int(posted["id"]), world.member)
        await world.discord.wait_response(menu)
        assert menu.response_type == 9, "a form asks for the prompt"
        await world.discord.submit_modal(menu, world.member, {"prompt": "the cat yawns and stretches"})
        await world.wait_for(lambda: world.video_messages())
        body = world.luma.videos_requests()[-1]
        assert body["action"] == "generate" and body["prompt"] == "the cat yawns and stretches"
        assert body["start_image_url"].split("?")[0] == picture["url"].split("?")[0], "the picture is the start frame"
        assert await reserved(world) == 1

        text_only = await world.discord.post_user_message(world.channel, world.member, "no picture here")
        refused = await world.discord.message_command("Animate image", int(text_only["id"]), world.member)
        await world.discord.wait_response(refused)
        assert refused.response_type == 4 and refused.response_data["flags"] & 64
        assert "no image" in refused.response_data["content"]
