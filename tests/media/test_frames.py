"""The pictures members hand the bot from Discord: a file attached to /luma generate (an ephemeral attachment that
Discord removes after a while) and the picture of Apps › Animate image (which the bot may not read again without the
Message Content intent). Each is kept, and the API always gets a link that works, or the member is asked again."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from ..harness import World
from ..helpers import button, eventually

pytestmark = pytest.mark.usefixtures("both_databases")

PICTURE = b"\x89PNG\r\n\x1a\n a member's own picture, byte for byte"


async def generate_with_frame(world: World, prompt: str) -> dict:
    """/luma generate with an uploaded start frame; returns the attachment as Discord described it."""
    frame = world.discord.user_attachment(world.channel, "first.png", data=PICTURE)
    await world.discord.slash(
        world.guild, world.channel, world.member, ["luma", "generate"],
        {"prompt": prompt, "start_image": frame["id"]}, attachments={"start_image": frame},
    )  # fmt: skip
    await world.wait_for(lambda: world.video_messages())
    return frame


async def kept_frame(world: World) -> str:
    """The id of the only frame, once its copy is kept."""
    assert world.bot is not None
    db = world.bot.db
    sql = "SELECT video_id FROM media WHERE kind = 'frame' AND state = 'kept'"
    rows = await eventually(lambda: db.fetchall(sql), what="the frame to be kept")
    return str(rows[0]["video_id"])


async def fetch(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.read()


async def test_again_after_discord_removed_the_upload_hands_the_api_the_bots_copy(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, UPLOAD_LINK_LIFETIME="60") as world:
        frame = await generate_with_frame(world, "a paper plane takes off")
        assert world.luma.videos_requests()[-1]["start_image_url"] == frame["url"], "its Discord link, while fresh"
        frame_id = await kept_frame(world)
        world.discord.expire_upload(frame)  # Discord removed the ephemeral attachment; its link still looks valid
        assert (await fetch(frame["url"]))[0] == 404
        world.clock.advance(120)  # past UPLOAD_LINK_LIFETIME
        [message] = world.video_messages()
        await world.discord.click(int(message["id"]), button(message, "Again"), world.member)
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 2)
        sent = world.luma.videos_requests()[-1]["start_image_url"]
        assert sent == f"http://127.0.0.1:{world.web_port}/media/{frame_id}.png", "the bot's own served copy"
        assert await fetch(sent) == (200, PICTURE), "which serves the member's picture"


async def test_again_without_a_served_copy_asks_again(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, UPLOAD_LINK_LIFETIME="60") as world:
        frame = await generate_with_frame(world, "a paper plane lands")
        world.discord.expire_upload(frame)
        world.clock.advance(120)
        [message] = world.video_messages()
        pressed = await world.discord.click(int(message["id"]), button(message, "Again"), world.member)
        await world.discord.wait_response(pressed)
        assert pressed.response_type == 4 and pressed.response_data["flags"] & 64
        assert "start frame of this video is gone" in pressed.response_data["content"]
        assert len(world.luma.videos_requests()) == 1, "nothing sent blind"


async def test_animate_image_without_the_content_intent_keeps_the_picture(tmp_path: Path) -> None:
    """On default settings the bot cannot read a member's message again (Discord empties it over REST): the picture
    comes from the interaction itself, is kept, and a day later Again still hands the API a link that works."""
    async with World(tmp_path, callbacks=True) as world:
        assert not world.discord.message_content_allowed
        picture = world.discord.user_attachment(world.channel, "cat.png", data=PICTURE)
        posted = await world.discord.post_user_message(
            world.channel, world.other_member, "my cat", attachments=[picture]
        )
        menu = await world.discord.message_command("Animate image", int(posted["id"]), world.member)
        await world.discord.wait_response(menu)
        await world.discord.submit_modal(menu, world.member, {"prompt": "the cat yawns and stretches"})
        [message] = await world.wait_for(lambda: world.video_messages())
        assert world.luma.videos_requests()[-1]["start_image_url"] == picture["url"]
        assert not world.discord.calls("GET", rf"/messages/{posted['id']}$"), "the message is not read again"
        frame_id = await kept_frame(world)

        world.clock.advance(2 * 86400)  # the picture's signed link has expired
        await world.discord.click(int(message["id"]), button(message, "Again"), world.member)
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 2)
        sent = world.luma.videos_requests()[-1]["start_image_url"]
        assert sent == f"http://127.0.0.1:{world.web_port}/media/{frame_id}.png"
        assert await fetch(sent) == (200, PICTURE)


async def test_a_frame_that_waited_in_line_past_its_lifetime_goes_as_the_copy(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, LUMA_MAX_IN_FLIGHT="1", UPLOAD_LINK_LIFETIME="60") as world:
        _, task = await world.held("holds the only slot", user=world.other_member)
        frame = world.discord.user_attachment(world.channel, "first.png", data=PICTURE)
        await world.discord.slash(
            world.guild, world.channel, world.member, ["luma", "generate"],
            {"prompt": "a frame that waits", "start_image": frame["id"]}, attachments={"start_image": frame},
        )  # fmt: skip
        await world.wait_for(lambda: world.bot.jobs.line.waiting)  # type: ignore[union-attr]
        frame_id = await kept_frame(world)
        world.discord.expire_upload(frame)
        world.clock.advance(120)
        world.luma.finish(task)
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 2)
        assert world.luma.videos_requests()[-1]["start_image_url"].endswith(f"/media/{frame_id}.png")
