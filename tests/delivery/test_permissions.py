"""What the bot needs in a channel, checked before it needs it: a mod log, a result or a reaction that cannot work
there is never dropped silently, never tried against a refusal Discord would count, and is said in words (once) to
the admin who chose the channel, and by `luma-bot check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..fakes.discord import ADD_REACTIONS, EMBED_LINKS, SEND_MESSAGES
from ..harness import World
from ..helpers import admin

pytestmark = pytest.mark.usefixtures("both_databases")


async def problems(world: World) -> list[tuple[int, str, list[str]]]:
    assert world.bot is not None
    return [(p.channel_id, p.purpose, p.missing) for p in await world.bot.guild_store.problems()]


async def test_a_mod_log_without_embed_links_comes_as_text_and_its_admin_is_told_once(tmp_path: Path) -> None:
    world = World(tmp_path, callbacks=False)
    world.discord.deny_bot(world.other_channel, EMBED_LINKS)
    async with world:
        answer = await admin(world, "settings", {"mod_log_channel": world.discord.channel_option(world.other_channel)})
        assert "I lack Embed Links in" in answer["content"], "the admin who chose it is told at once"
        for prompt in ("a first logged video", "a second logged video"):
            await world.generate(prompt)
        entries = await world.wait_for(
            lambda: len(logged := [m for m in world.discord.channel_messages(world.other_channel) if "Video made"
                                   in m["content"]]) == 2 and logged
        )  # fmt: skip
        assert all(e["embeds"] == [] for e in entries)
        assert any("a first logged video" in e["content"] for e in entries)
        assert [r for r in world.discord.requests if r.status >= 400] == [], "nothing Discord refused"
        [dm] = await world.wait_for(lambda: world.discord.dm_messages(world.admin))
        assert "comes as plain text" in dm["content"] and "Embed Links" in dm["content"]
        assert len(world.discord.dm_messages(world.admin)) == 1, "told once"
        assert await problems(world) == [(world.other_channel, "mod_log", ["embed_links"])]


async def test_a_mod_log_where_the_bot_may_not_post_sends_nothing_and_says_why(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        await admin(world, "settings", {"mod_log_channel": world.discord.channel_option(world.other_channel)})
        [change] = await world.wait_for(lambda: world.discord.channel_messages(world.other_channel))  # the setting
        world.discord.deny_bot(world.other_channel, SEND_MESSAGES)  # a moderator changes the channel later
        await world.discord.channel_updated(world.other_channel)
        await world.generate("a video nobody logs")
        [dm] = await world.wait_for(lambda: world.discord.dm_messages(world.admin))
        assert "can't post luma-bot's mod log" in dm["content"] and "Send Messages" in dm["content"]
        assert world.discord.channel_messages(world.other_channel) == [change]
        posts = world.discord.calls("POST", rf"/channels/{world.other_channel}/messages$")
        assert len(posts) == 1, "never tried once the bot may not post there"
        assert await problems(world) == [(world.other_channel, "mod_log", ["embed_links", "send_messages"])]

        world.discord.set_overwrite(world.other_channel, int(world.discord.bot_user["id"]), role=False)  # fixed
        await world.discord.channel_updated(world.other_channel)
        await world.generate("a video logged again")
        await world.wait_for(lambda: len(world.discord.channel_messages(world.other_channel)) > 1)
        await world.wait_for(lambda: world.bot.guild_store._problems == {})  # type: ignore[union-attr]
        assert await problems(world) == [], "cleared once a post works in full"


async def test_a_result_where_the_bot_lacks_embed_links_keeps_its_words(tmp_path: Path) -> None:
    world = World(tmp_path, callbacks=False)
    world.discord.deny_bot(world.channel, EMBED_LINKS)
    async with world:  # a render longer than the interaction's 15 minutes: the result goes to the channel
        interaction, task_id = await world.held("a lantern drifting over a lake")
        world.discord.age_interaction(interaction.token, 16 * 60)
        world.clock.advance(16 * 60)
        world.luma.finish(task_id)
        message = await world.wait_for(
            lambda: next((m for m in world.discord.channel_messages(world.channel) if "Video ID" in m["content"]), None)
        )
        assert message["embeds"] == [] and "a lantern drifting over a lake" in message["content"]
        assert message["content"].startswith(f"<@{world.member}>") and message["attachments"], "the video, pinged"
        assert [b["label"] for row in message["components"] for b in row["components"]][:2] == ["Extend", "Again"]
        assert await problems(world) == [(world.channel, "results", ["embed_links"])]


async def test_a_reply_where_the_bot_may_not_react_is_still_made(tmp_path: Path) -> None:
    world = World(tmp_path, callbacks=False)
    world.discord.deny_bot(world.channel, ADD_REACTIONS)
    async with world:
        await world.generate("a first video to reply to")
        [video] = await world.wait_for(lambda: world.video_messages())
        mention = f"<@{world.discord.bot_user['id']}>"
        await world.discord.post_user_message(
            world.channel, world.member, f"{mention} and then it rains", reply_to=int(video["id"])
        )
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        assert world.discord.reactions == [] and [r for r in world.discord.requests if r.status == 403] == []
