"""Bad input gets a private, friendly answer and charges nothing; good images reach the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..harness import World

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


def attachment(name: str, content_type: str, size: int = 1000) -> dict[str, Any]:
    return {
        "id": "1",
        "filename": name,
        "size": size,
        "url": f"https://cdn.discordapp.com/attachments/1/2/{name}",
        "proxy_url": f"https://media.discordapp.net/attachments/1/2/{name}",
        "content_type": content_type,
    }


async def ephemeral_answer(world: World, interaction) -> str:
    await world.discord.wait_response(interaction)
    assert interaction.response_type == 4, "answered directly, not deferred"
    assert interaction.response_data["flags"] & 64, "only the member sees it"
    return interaction.response_data["content"]


async def charged(world: World) -> int:
    row = await world.bot.db.fetchone("SELECT COUNT(*) AS n FROM reservations WHERE state != 'refunded'")  # type: ignore[union-attr]
    return int(row["n"])


@pytest.mark.parametrize(
    ("options", "files", "expected"),
    [
        ({"start_image": "1"}, {"start_image": attachment("clip.mp4", "video/mp4")}, "must be a PNG, JPEG"),
        ({"end_image": "1"}, {"end_image": attachment("big.png", "image/png", 11 * 1024 * 1024)}, "too large"),
        (
            {"start_image": "1", "start_image_url": "https://x.example/a.png"},
            {"start_image": attachment("a.png", "image/png")},
            "as a file or as a link, not both",
        ),
        ({"start_image_url": "ftp://x.example/a.png"}, None, "must start with http:// or https://"),
    ],
)
async def test_bad_input_is_answered_privately_and_costs_nothing(
    tmp_path: Path, options: dict[str, Any], files: dict[str, Any] | None, expected: str
) -> None:
    async with World(tmp_path, callbacks=False) as world:
        interaction = await world.discord.slash(
            world.guild,
            world.channel,
            world.member,
            ["luma", "generate"],
            {"prompt": "a perfectly fine prompt", **options},
            attachments=files,
        )
        assert expected in await ephemeral_answer(world, interaction)
        assert world.luma.videos_requests() == []
        assert await charged(world) == 0


async def test_images_are_sent_as_frames_with_the_options(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        image = attachment("first.png", "image/png")
        interaction = await world.discord.slash(
            world.guild,
            world.channel,
            world.member,
            ["luma", "generate"],
            {
                "prompt": "from this frame",
                "start_image": "1",
                "end_image_url": "https://x.example/last.jpg",
                "aspect_ratio": "9:16",
                "enhancement": False,
            },
            attachments={"start_image": image},
        )
        await world.discord.wait_response(interaction)
        await world.wait_for(lambda: world.video_messages())
        body = world.luma.videos_requests()[-1]
        assert body["start_image_url"] == image["url"]
        assert body["end_image_url"] == "https://x.example/last.jpg"
        assert body["aspect_ratio"] == "9:16" and body["enhancement"] is False and body["loop"] is False
        fields = {f["name"]: f["value"] for f in world.video_messages()[0]["embeds"][0]["fields"]}
        assert fields["Size"] == "752×1360"


async def test_a_long_prompt_is_shortened_to_fit_the_embed(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        prompt = ("a very long and detailed scene description " * 120)[:5000]
        await world.generate(prompt)
        await world.wait_for(lambda: world.video_messages())
        embed = world.video_messages()[0]["embeds"][0]
        assert embed["description"].endswith("…") and len(embed["description"]) <= 4096
        assert world.luma.videos_requests()[-1]["prompt"] == prompt.strip()


async def test_what_only_the_api_may_refuse_reaches_it_and_its_own_words_are_shown(tmp_path: Path) -> None:
    """Point 9: no public source forbids loop with an end frame or limits a prompt's length, so the bot
    does not refuse them itself: the API's 400 speaks, its message is shown, and nothing is charged."""
    async with World(tmp_path, callbacks=False) as world:
        interaction = await world.generate(
            "loop this, ending on that frame", loop=True, end_image_url="https://x.example/e.png"
        )
        await world.discord.wait_response(interaction)
        message = await world.wait_for(
            lambda: next(
                (
                    m
                    for m in world.discord.messages.values()
                    if m.get("embeds") and "could not be made" in m["embeds"][0].get("title", "")
                ),
                None,
            )
        )
        assert world.luma.videos_requests()[-1]["loop"] is True
        shown = message["embeds"][0]["description"].replace("\\", "")  # as Discord renders the escapes
        assert "Luma did not accept this request: loop cannot be used with end_image_url" in shown
        assert await charged(world) == 0
