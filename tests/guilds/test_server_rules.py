"""The owner's wallet, spoilers and age-restricted channels, as members and the owner meet them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..harness import World
from ..helpers import SAMPLE, admin, reserved

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


async def test_the_budget_refuses_once_spent_and_tells_the_owner_at_80_and_100_percent(tmp_path: Path) -> None:
    env = {"VIDEO_PRICE": "0.5", "PRICE_UNIT": "USD", "MONTHLY_BUDGET": "2.5"}  # five videos a month
    async with World(tmp_path, callbacks=False, **env) as world:
        owner = int(world.discord.owner["id"])
        for n in range(1, 6):
            await world.generate(f"video number {n}", user=world.member if n % 2 else world.other_member)
            await world.wait_for(lambda n=n: len(world.video_messages()) == n)
        dms = await world.wait_for(
            lambda: len(world.discord.dm_messages(owner)) == 2 and world.discord.dm_messages(owner)
        )
        assert "at 80%** of its budget" in dms[0]["content"] and "2 USD of 2.5 USD" in dms[0]["content"]
        assert "spent its budget" in dms[1]["content"] and "2.5 USD of 2.5 USD" in dms[1]["content"]

        refused = await world.generate("one over budget")
        text = await world.private_answer(refused)
        assert "budget for this month is spent" in text and "<t:" in text and "Nothing was charged" in text
        assert len(world.luma.videos_requests()) == 5 and await reserved(world) == 5

        usage = (await admin(world, "usage"))["embeds"][0]
        assert f"<@{world.member}>: 3 · 1.5 USD" in usage["description"]
        fields = {f["name"]: f["value"] for f in usage["fields"]}
        assert fields["This server"] == "5 videos · 2.5 USD"
        assert fields["The bot's monthly budget"] == "2.5 USD of 2.5 USD (100%)"
        assert len(world.discord.dm_messages(owner)) == 2, "each alert once"


async def test_spoilers_mark_the_file_and_wrap_the_link(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        await admin(world, "settings", {"spoiler": True})
        await world.generate("a surprise ending")
        [attached] = await world.wait_for(lambda: world.video_messages())
        [file] = attached["attachments"]
        assert file["filename"].startswith("SPOILER_") and file["flags"] & (1 << 3), "the file is a spoiler"
        assert file["size"] == len(SAMPLE)
        assert attached["embeds"][0]["description"].startswith(">>> ||"), "the prompt too"

        # a server without the setting, and the member's own option, where the bot may not attach files
        await admin(world, "settings", {"spoiler": False})
        world.discord.deny_bot(world.channel, 1 << 15)
        await world.discord.channel_updated(world.channel)
        await world.generate("no spoiler here")
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        await world.generate("but this one", spoiler=True)
        messages = await world.wait_for(lambda: len(world.video_messages()) == 3 and world.video_messages())
        plain, wrapped = messages[1], messages[2]
        mention = f"<@{world.member}> "
        assert plain["content"].startswith(mention + "http") and "image" in plain["embeds"][0]
        assert wrapped["content"].startswith(mention + "||http") and wrapped["content"].endswith("||")
        assert "image" not in wrapped["embeds"][0], "no preview image over a spoiler"


async def test_age_restricted_only_allows_those_channels_and_their_threads(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        await admin(world, "settings", {"age_restricted_only": True})
        refused = await world.generate("in an ordinary channel")
        assert "age-restricted channels" in await world.private_answer(refused)
        assert world.luma.videos_requests() == []

        world.discord.set_age_restricted(world.other_channel)
        await world.discord.channel_updated(world.other_channel)
        thread = world.discord.add_thread(world.other_channel)
        await world.discord.dispatch("THREAD_CREATE", {**world.discord.channels[thread], "newly_created": True})
        await world.generate("in the age-restricted channel", channel=world.other_channel)
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 1)
        await world.generate("in its thread", channel=thread)
        await world.wait_for(lambda: len(world.luma.videos_requests()) == 2)
        assert {
            m["channel_id"]
            for m in await world.wait_for(lambda: len(world.video_messages()) == 2 and world.video_messages())
        } == {str(world.other_channel), str(thread)}


async def test_an_extension_of_a_video_behind_a_spoiler_stays_behind_one(tmp_path: Path) -> None:
    """#25, suspected and real: an extension was posted as the server's setting or the member's option said, so
    extending a spoilered video in a server without the setting showed it in the open."""
    from ..helpers import extension_messages, make_video

    async with World(tmp_path, callbacks=False) as world:
        _, hidden = await make_video(world, "a twist ending", spoiler=True)
        await world.discord.slash(
            world.guild, world.channel, world.member, ["luma", "extend"], {"video": hidden, "prompt": "and then"}
        )
        [extension] = await world.wait_for(lambda: extension_messages(world))
        [file] = extension["attachments"]
        assert file["filename"].startswith("SPOILER_") and extension["embeds"][0]["description"].startswith(">>> ||")
