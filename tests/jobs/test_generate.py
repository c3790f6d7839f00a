"""/luma generate end to end: the real bot, the fake Discord, the fake Luma API."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import fixture
from ..harness import World

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("both_databases")]


@pytest.mark.parametrize("callbacks", [True, False], ids=["callback", "poll"])
async def test_generate_posts_one_message_with_the_video(tmp_path: Path, callbacks: bool) -> None:
    async with World(tmp_path, callbacks=callbacks) as world:
        seed = fixture("seed_generate_text")
        world.luma.script_next_result(seed)
        interaction = await world.generate("Astronauts shuttle from space to volcano")
        await world.discord.wait_response(interaction)
        assert interaction.response_type == 5, "the bot defers first"
        assert interaction.response_at - interaction.created < 3.0

        await world.wait_for(lambda: world.video_messages())
        await world.luma.wait_done(seed["task_id"])
        videos = world.video_messages()
        assert len(videos) == 1
        message = videos[0]
        # a new message, so that Discord notifies the member (an edit notifies nobody); the progress message goes
        assert message["id"] != str(interaction.original_message_id)
        assert world.discord.pings(world.member) == [message], "the member, and only the member, is notified"
        await world.wait_for(lambda: interaction.original_message_id not in world.discord.messages)
        # the seed's CDN is not reachable from here, so no copy: the link, the one that lasts (the served
        # copy when PUBLIC_BASE_URL is set, which sends players on to the API's link until a copy exists)
        video = await world.bot.jobs.videos.get(world.guild, seed["video_id"])  # type: ignore[union-attr]
        served = f"http://127.0.0.1:{world.web_port}/media/{video.serve_key}"  # type: ignore[union-attr]
        link = f"{served}.mp4" if callbacks else seed["video_url"]
        assert message["content"] == f"<@{world.member}> {link}" and message["attachments"] == []
        embed = message["embeds"][0]
        assert embed["image"]["url"] == (f"{served}.jpg" if callbacks else seed["thumbnail_url"])
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Size"] == "1360×752"
        assert fields["Video ID"] == f"`{seed['video_id']}`"
        assert fields["Requested by"] == f"<@{world.member}>"
        assert "Astronauts shuttle from space to volcano" in embed["description"]
        buttons = [c for row in message["components"] for c in row["components"]]
        assert buttons[0]["custom_id"] == f"luma:extend:{seed['video_id']}" and buttons[0]["label"] == "Extend"
        assert [b["label"] for b in buttons] == ["Extend", "Again", "Remix", "Open video", "Delete"]
        assert buttons[3]["url"] == link and buttons[3]["style"] == 5

        body = world.luma.videos_requests()[-1]
        assert body["prompt"] == "Astronauts shuttle from space to volcano"
        assert ("callback_url" in body) is callbacks
        if callbacks:
            assert world.luma.callbacks and world.luma.callbacks[0]["status"] == 200
