"""Where the commands may be used: in servers that added the bot, and nowhere else, even when the owner switches on
User Install (then any member could add the app to their own account and use it anywhere, at the owner's cost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..fakes.discord import NotOffered
from ..harness import World


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


async def test_a_bot_kept_to_its_owners_servers_leaves_any_other_politely(tmp_path: Path) -> None:
    """#25: a Discord application is public by default; with ALLOWED_GUILDS the bot serves those servers only. A
    server that added it while it was away, and one that adds it now, are told why, left, and named to the owner
    (as text: a server's name is anyone's to choose, a link included); what their members ask before the bot is
    gone costs nothing."""
    world = World(tmp_path, callbacks=False)
    world.env["ALLOWED_GUILDS"] = f"{world.guild}, 1234567890123"
    while_away = world.discord.add_guild("free videos https://evil.example")
    async with world:
        owner = int(world.discord.owner["id"])
        await world.wait_for(lambda: world.discord.left_guilds == [while_away], timeout=15)  # at on_ready
        [dm] = await world.wait_for(lambda: world.discord.dm_messages(owner))
        assert "`free videos https://evil.example`" in dm["content"] and str(while_away) in dm["content"]
        assert "ALLOWED_GUILDS" in dm["content"] and "Public Bot" in dm["content"]
        assert "https://" not in dm["content"].replace("`free videos https://evil.example`", ""), "no live link"

        stranger = world.discord.add_guild("Strangers", locale="zh-CN")
        world.discord.add_member(stranger, world.other_member)
        world.discord.fail_next("DELETE", r"/users/@me/guilds/", 403, 50001, "Missing Access")  # not retried
        await world.discord.bot_added(stranger)
        notices = world.discord.guilds[stranger]["system_channel_id"]
        [goodbye] = await world.wait_for(lambda: world.discord.channel_messages(notices))
        in_chinese = "这个机器人只在所有者选定的服务器中制作视频，所以要离开这个服务器了。"
        assert goodbye["content"] == in_chinese, "in the server's language"
        await world.wait_for(lambda: [r for r in world.discord.calls("DELETE", r"/users/@me/guilds/") if r.status])
        # Discord failed to let it go: until it is gone, what its members ask is refused, privately, at no cost
        channel = world.discord.guilds[stranger]["channel_ids"][1]
        late = await world.discord.slash(
            stranger, channel, world.other_member, ["luma", "generate"], {"prompt": "on the owner's bill"}
        )
        await world.discord.wait_response(late)
        assert late.response_type == 4 and late.response_data["flags"] & 64
        assert "只在所有者选定的服务器" not in late.response_data["content"], "the member's own language (en-US)"
        assert "only in the servers its owner chose" in late.response_data["content"]
        # the owner's own server is served as ever
        await world.generate("at home")
        await world.wait_for(lambda: world.video_messages())
        assert [r["prompt"] for r in world.luma.videos_requests()] == ["at home"]
        assert world.discord.bot_is_in(stranger) and len(world.discord.dm_messages(owner)) == 1
