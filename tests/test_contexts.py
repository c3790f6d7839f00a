"""Where the commands may be used: in servers that added the bot, and nowhere else, even when the owner switches on
User Install (then any member could add the app to their own account and use it anywhere, at the owner's cost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .fakes.discord import NotOffered
from .harness import World


async def test_commands_are_offered_only_in_servers_that_added_the_bot(tmp_path: Path) -> None:
    world = World(tmp_path, callbacks=False, DEV_GUILD_ID="")  # synced globally, as an owner's bot is
    world.discord.user_install = True  # the owner switched User Install on in the Developer Portal
    elsewhere = world.discord.add_guild("A server without the bot")
    del world.discord.members[(elsewhere, int(world.discord.bot_user["id"]))]
    world.discord.add_member(elsewhere, world.member)
    async with world:
        commands = world.discord.commands[None]
        assert {c["name"] for c in commands} >= {"luma", "luma-admin", "Extend video", "Animate image"}
        for command in commands:
            assert (command["contexts"], command["integration_types"]) == ([0], [0]), command["name"]
        prompt = {"prompt": "a video on someone else's bill"}
        channel = world.discord.guilds[elsewhere]["channel_ids"][0]
        with pytest.raises(NotOffered):
            await world.discord.user_command(
                world.member, ["luma", "generate"], prompt, context=0, guild_id=elsewhere, channel_id=channel
            )
        for context in (1, 2):  # a DM with the bot, a group DM
            with pytest.raises(NotOffered):
                await world.discord.user_command(world.member, ["luma", "generate"], prompt, context=context)

        # a client that still shows an old command list sends it anyway: the bot refuses, privately, at no cost
        stale = await world.discord.user_command(
            world.member, ["luma", "generate"], prompt, context=0, guild_id=elsewhere, channel_id=channel, force=True
        )
        await world.discord.wait_response(stale)
        assert stale.response_type == 4 and stale.response_data["flags"] & 64
        assert "only in servers it has been added to" in stale.response_data["content"]
        assert world.luma.videos_requests() == []
