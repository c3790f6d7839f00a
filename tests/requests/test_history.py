"""/luma history and /luma video, through the fake Discord."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.store import Video

from ..harness import World
from ..helpers import extension_messages, make_video

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


async def add_videos(world: World, count: int, guild: int | None = None, user: int | None = None) -> None:
    async with world.bot.db.transaction() as tx:  # type: ignore[union-attr]
        for i in range(count):
            await world.bot.jobs.videos.insert(
                tx,
                Video(  # type: ignore[union-attr]
                    f"{guild or 'g'}-v{i:03d}",
                    guild or world.guild,
                    user or world.member,
                    world.channel,
                    f"t{i}",
                    "generate",
                    f"prompt number {i}",
                    f"https://cdn.example/{guild}/{i}.mp4",
                ),
            )


def rows(message: dict[str, Any]) -> list[str]:
    return [line for line in message["embeds"][0]["description"].splitlines() if line.startswith("**")]


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["label"]: c for row in message["components"] for c in row["components"]}


async def test_history_paginates_over_60_videos(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        other_guild = world.discord.add_guild("Elsewhere")
        await add_videos(world, 60)
        await add_videos(world, 5, guild=other_guild)
        interaction = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "history"], {})
        await world.discord.wait_response(interaction)
        message = world.message(interaction.original_message_id)
        assert len(rows(message)) == 10 and "prompt number 59" in rows(message)[0]
        assert message["embeds"][0]["footer"]["text"].startswith("Page 1 of 6 · 60 videos")
        assert buttons(message)["◀ Newer"]["disabled"] and not buttons(message)["Older ▶"].get("disabled")

        seen: list[str] = []
        for page in range(2, 7):
            click = await world.discord.click(
                int(message["id"]), buttons(message)["Older ▶"]["custom_id"], world.member
            )
            await world.discord.wait_response(click)
            assert click.response_type == 7
            message = world.message(interaction.original_message_id)
            assert message["embeds"][0]["footer"]["text"].startswith(f"Page {page} of 6")
            seen += rows(message)
        assert len(rows(message)) == 10 and "prompt number 0]" in rows(message)[-1], "the oldest comes last"
        assert buttons(message)["Older ▶"]["disabled"]
        assert not any("Elsewhere" in r or f"{other_guild}-v" in r for r in seen), "nothing from another guild"

        intruder = await world.discord.click(
            int(message["id"]), buttons(message)["◀ Newer"]["custom_id"], world.other_member
        )
        await world.discord.wait_response(intruder)
        assert intruder.response_type == 4 and intruder.response_data["flags"] & 64
        assert "Only the member who asked" in intruder.response_data["content"]
        assert world.message(interaction.original_message_id)["embeds"][0]["footer"]["text"].startswith("Page 6")


async def test_history_of_one_member_and_a_page_number(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        await add_videos(world, 15)
        async with world.bot.db.transaction() as tx:  # type: ignore[union-attr]
            await world.bot.jobs.videos.insert(
                tx,
                Video(  # type: ignore[union-attr]
                    "theirs",
                    world.guild,
                    world.other_member,
                    world.channel,
                    "tx",
                    "generate",
                    "the other one's",
                    "https://cdn.example/o.mp4",
                ),
            )
        mine = await world.discord.slash(
            world.guild,
            world.channel,
            world.member,
            ["luma", "history"],
            {"member": world.discord.user_option(world.other_member)},
        )
        await world.discord.wait_response(mine)
        message = world.message(mine.original_message_id)
        assert [r for r in rows(message)] and all("the other one" in r for r in rows(message))
        assert "components" not in message or not message["components"], "one page needs no buttons"
        page2 = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "history"], {"page": 2})
        await world.discord.wait_response(page2)
        assert world.message(page2.original_message_id)["embeds"][0]["footer"]["text"].startswith("Page 2 of 2")


async def test_video_page_shows_parent_and_extensions(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        _, parent = await make_video(world, "a tiny robot wakes up")
        await world.discord.slash(
            world.guild,
            world.channel,
            world.member,
            ["luma", "extend"],
            {"video": parent, "prompt": "it walks to the window"},
        )
        [child_message] = await world.wait_for(lambda: extension_messages(world))
        # the message shows a moment before its receipt (which message carries the file) is recorded
        await world.wait_for(lambda: world.bot.jobs.stats["delivered"] == 2)  # type: ignore[union-attr]
        child = next(f["value"] for f in child_message["embeds"][0]["fields"] if f["name"] == "Video ID").strip("`")

        page = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "video"], {"id": parent})
        await world.discord.wait_response(page)
        fields = {f["name"]: f["value"] for f in page.response_data["embeds"][0]["fields"]}
        assert child in fields["Extensions (1)"]
        page = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "video"], {"id": child})
        await world.discord.wait_response(page)
        fields = {f["name"]: f["value"] for f in page.response_data["embeds"][0]["fields"]}
        assert parent in fields["Extended from"] and "a tiny robot wakes up" in fields["Extended from"]
        # the video went as a file: its page leads to that message (the attachment's URL expires, it does not)
        jump = f"https://discord.com/channels/{world.guild}/{world.channel}/{child_message['id']}"
        assert page.response_data["content"] == jump

        unknown = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "video"], {"id": "nope"})
        await world.discord.wait_response(unknown)
        assert unknown.response_data["flags"] & 64
        assert "No such video in this server" in unknown.response_data["content"]


async def page_of(world: World, video_id: str, *, channel: int | None = None, **options: Any) -> dict[str, Any]:
    """`/luma video` as a member asks for it; the answer as Discord holds it (with its flags)."""
    asked = await world.discord.slash(
        world.guild, channel or world.channel, world.member, ["luma", "video"], {"id": video_id, **options}
    )
    await world.discord.wait_response(asked)
    assert asked.response_type == 4
    return dict(asked.response_data)


async def history_of(world: World, *, channel: int | None = None, user: int | None = None) -> dict[str, Any]:
    asked = await world.discord.slash(
        world.guild, channel or world.channel, user or world.member, ["luma", "history"], {}
    )
    await world.discord.wait_response(asked)
    assert asked.response_type == 4
    return dict(asked.response_data)


async def test_a_video_keeps_the_rules_of_the_channel_it_was_made_in(tmp_path: Path) -> None:
    """#25: `/luma video` and `/luma history` answered publicly anywhere, showing a video made in an age-restricted
    channel behind a spoiler (its thumbnail, prompt and link) in an ordinary channel."""
    from ..helpers import admin

    async with World(tmp_path, callbacks=False) as world:
        nsfw = world.other_channel
        world.discord.set_age_restricted(nsfw)
        await world.discord.channel_updated(nsfw)
        await admin(world, "settings", {"spoiler": True})
        await world.generate("a secret scene", channel=nsfw)
        [secret_message] = await world.wait_for(lambda: world.video_messages())
        await admin(world, "settings", {"spoiler": False})
        await world.generate("an ordinary scene")
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        secret = next(f["value"] for f in secret_message["embeds"][0]["fields"] if f["name"] == "Video ID").strip("`")

        # an ordinary channel: the age-restricted video is not there at all, and the answers are private
        page = await page_of(world, secret)
        assert page["flags"] & 64 and "No such video" in page["content"] and "secret" not in str(page)
        listed = await history_of(world)
        assert listed["flags"] & 64, "private unless asked otherwise"
        assert "an ordinary scene" in str(listed) and "secret" not in str(listed)
        assert listed["embeds"][0]["footer"]["text"].startswith("Page 1 of 1 · 1 video")

        # where it was made: shown, privately by default, and still behind its spoiler
        page = await page_of(world, secret, channel=nsfw)
        assert page["flags"] & 64
        assert page["embeds"][0]["description"].startswith(">>> ||a secret scene")
        assert "image" not in page["embeds"][0], "no preview image over a spoiler"
        shown = await page_of(world, secret, channel=nsfw, public=True)
        assert not shown.get("flags", 0) & 64, "public when asked"
        assert shown["embeds"][0]["description"].startswith(">>> ||") and "image" not in shown["embeds"][0]
        assert shown["content"].startswith("||") and shown["content"].endswith("||")
        listed = await history_of(world, channel=nsfw)
        [secret_row] = [r for r in rows({"embeds": listed["embeds"]}) if "secret" in r]
        assert secret_row.startswith("**2.** ||[a secret scene](") and secret_row.endswith(")||"), "oldest last"

        # a blocked member and a paused server: browsing is no way around the rules
        await admin(world, "block", {"member": world.discord.user_option(world.member), "reason": "spam"})
        refused = await history_of(world, channel=nsfw)
        assert refused["flags"] & 64 and "lifts the block" in refused["content"] and "embeds" not in refused
        assert "lifts the block" in (await page_of(world, secret, channel=nsfw))["content"]
        await admin(world, "unblock", {"member": world.discord.user_option(world.member)})
        await admin(world, "pause")
        paused = await page_of(world, secret, channel=nsfw)
        assert paused["flags"] & 64 and "paused" in paused["content"] and "embeds" not in paused
        assert "paused" in (await history_of(world, user=world.other_member))["content"]
