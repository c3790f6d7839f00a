"""Shards in one process (discord.py's AutoShardedBot): Discord's recommendation followed, SHARD_COUNT overriding
it, every guild's events on its own shard, and the bot working in guilds on different shards."""

from __future__ import annotations

from pathlib import Path

from ..harness import World


def second_guild(world: World) -> tuple[int, int, int]:
    """A second server (on the other shard of two) with a channel and a member."""
    guild = world.discord.add_guild("Second")
    member = world.discord.add_user("second-member")
    world.discord.add_member(guild, member)
    return guild, world.discord.guilds[guild]["channel_ids"][0], member


async def test_the_bot_follows_discords_shard_recommendation_and_works_on_each_shard(tmp_path: Path) -> None:
    world = World(tmp_path, callbacks=False)
    world.discord.recommended_shards, world.discord.max_concurrency = 2, 16
    guild, channel, member = second_guild(world)
    assert world.discord.shard_of(world.guild, 2) != world.discord.shard_of(guild, 2), "one server on each shard"
    async with world:  # ready once the first server's shard is: the other shard identifies right after
        await world.wait_for(lambda: len(world.discord.identified) == 2)
        assert sorted(world.discord.identified) == [[0, 2], [1, 2]]
        assert world.bot is not None and world.bot.shard_count == 2
        await world.wait_for(lambda: world.bot.get_guild(guild) is not None)  # type: ignore[union-attr]
        await world.generate("on the first shard")
        await world.discord.slash(guild, channel, member, ["luma", "generate"], {"prompt": "on the second shard"})
        results = await world.wait_for(lambda: len(world.video_messages()) == 2 and world.video_messages())
        assert {m["channel_id"] for m in results} == {str(world.channel), str(channel)}


async def test_shard_count_overrides_the_recommendation(tmp_path: Path) -> None:
    world = World(tmp_path, callbacks=False, SHARD_COUNT="3")
    world.discord.max_concurrency = 16
    async with world:
        await world.wait_for(lambda: len(world.discord.identified) == 3)
        assert sorted(world.discord.identified) == [[0, 3], [1, 3], [2, 3]]
        await world.generate("three shards")
        await world.wait_for(lambda: world.video_messages())
