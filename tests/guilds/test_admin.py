"""Quotas and admin controls as members and admins meet them, through the fake Discord."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.notes import Note

from ..harness import World
from ..helpers import admin, answer

pytestmark = pytest.mark.usefixtures("both_databases")  # the end-to-end tests run on SQLite and PostgreSQL


async def generate(world: World, prompt: str = "a quota prompt", **kw: Any):
    interaction = await world.generate(prompt, **kw)
    await world.discord.wait_response(interaction)
    return interaction


async def test_admin_commands_need_manage_server_even_when_discord_shows_them(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        registered = {c["name"]: c for c in world.discord.commands[world.guild]}
        assert int(registered["luma-admin"]["default_member_permissions"]) == 1 << 5, "hidden from members"
        assert registered["luma"]["default_member_permissions"] is None
        # a server can override Discord's defaults; the bot still refuses members without Manage Server
        for command in ("quota", "settings", "pause", "log", "usage"):
            data = await admin(world, command, user=world.member)
            assert "Manage Server" in data["content"], command
        assert await world.bot.guild_store.audit_log(world.guild) == []  # type: ignore[union-attr]
        assert not (await world.bot.guild_store.get(world.guild)).paused  # type: ignore[union-attr]


async def test_limits_refusals_and_the_quota_page(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        data = await admin(world, "quota", {"limit": "member_daily", "value": "1"})
        assert "videos per day for each member: 100 → 1" in data["content"]
        await generate(world)
        await world.wait_for(lambda: world.video_messages())
        refused = await generate(world, "one too many")
        text = await world.private_answer(refused)
        assert "limit of 1 videos per day for each member" in text and "<t:" in text and "Nothing was charged" in text
        assert len(world.luma.videos_requests()) == 1

        page = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "quota"], {})
        embed = (await answer(world, page))["embeds"][0]
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["You, today"].startswith("1 of 1 used · **0 left**") and "resets <t:" in fields["You, today"]
        assert fields["This server, this month"].startswith("1 of 500 used")

        await admin(world, "quota", {"limit": "member_daily", "value": "default"})
        await generate(world, "the owner's limit again")
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        await admin(world, "quota", {"limit": "guild_daily", "value": "0"})
        closed = await generate(world, "closed for today")
        assert "closed" in await world.private_answer(closed)
        bad = await admin(world, "quota", {"limit": "guild_daily", "value": "lots"})
        assert "whole number" in bad["content"]


async def test_a_failed_video_is_refunded_in_the_quota_page(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, QUOTA_MEMBER_DAILY="1") as world:
        world.luma.fail_next_task()
        await generate(world, "this one fails")
        await world.wait_for(lambda: world.bot.jobs.stats["failed"])  # type: ignore[union-attr]
        await generate(world, "this one works")
        await world.wait_for(lambda: world.video_messages())
        page = await world.discord.slash(world.guild, world.channel, world.member, ["luma", "quota"], {})
        fields = {f["name"]: f["value"] for f in (await answer(world, page))["embeds"][0]["fields"]}
        assert fields["You, today"].startswith("1 of 1 used")


async def test_channel_rule(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        data = await admin(world, "settings", {"allow_channel": world.discord.channel_option(world.other_channel)})
        assert f"videos allowed in: <#{world.other_channel}>" in data["content"]
        refused = await generate(world, "wrong channel")
        assert f"only be made in <#{world.other_channel}>" in (await answer(world, refused))["content"]
        ok = await generate(world, "right channel", channel=world.other_channel)
        assert ok.response_type == 5
        await admin(world, "settings", {"all_channels": True})
        assert (await generate(world, "anywhere again")).response_type == 5


async def test_role_rules_and_pause(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False, QUOTA_MEMBER_DAILY="1") as world:
        creators = await world.discord.create_role(world.guild, "Creators")
        world.discord.members[(world.guild, world.other_member)]["roles"].append(str(creators))
        role = world.discord.role_option(world.guild, creators)
        data = await admin(world, "settings", {"role": role, "role_mode": "only"})
        assert "may make videos" in data["content"] and "only members of <@&" in data["content"]
        refused = await generate(world, "not a creator")
        assert "Only members with the" in (await answer(world, refused))["content"]
        assert (await generate(world, "a creator", user=world.other_member)).response_type == 5

        await admin(world, "settings", {"role_mode": "none"})
        await admin(world, "tier set", {"role": role, "daily": "none"})  # the exempt role's successor
        await world.wait_for(lambda: world.video_messages())
        assert (await generate(world, "a tier without member_daily", user=world.other_member)).response_type == 5

        await admin(world, "pause")
        paused = await generate(world, "while paused", user=world.other_member)
        assert "paused" in (await answer(world, paused))["content"]
        await admin(world, "resume")
        after = await generate(world, "after resume")
        assert after.response_type == 5, after.response_data

        log = await admin(world, "log")
        text = log["embeds"][0]["description"]
        assert text.index("**Resume**") < text.index("**Pause**") < text.index("**Role rule**"), "newest first"
        assert f"<@{world.admin}>" in text and "<t:" in text


async def test_defaults_and_usage(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=False) as world:
        await admin(world, "settings", {"aspect_ratio": "1:1", "loop": True, "enhancement": False})
        await generate(world, "square by default")
        await world.wait_for(lambda: world.video_messages())
        body = world.luma.videos_requests()[-1]
        assert body["aspect_ratio"] == "1:1" and body["loop"] is True and body["enhancement"] is False
        await generate(world, "another", user=world.other_member)
        await generate(world, "and another", user=world.other_member)
        await world.wait_for(lambda: len(world.video_messages()) == 3)
        usage = (await admin(world, "usage"))["embeds"][0]["description"].splitlines()
        assert usage == [f"**1.** <@{world.other_member}>: 2", f"**2.** <@{world.member}>: 1"]


async def test_the_owners_limits_are_ceilings_a_server_can_lower_but_never_lift(tmp_path: Path) -> None:
    """#25: `/luma-admin quota … none` lifted the owner's QUOTA_* without bound; an override saved before the rule
    (an older version's, or written by hand) is held to it too."""
    async with World(tmp_path, callbacks=False, QUOTA_MEMBER_DAILY="1", QUOTA_MEMBER_COOLDOWN="30") as world:
        assert world.bot is not None
        lifted = await admin(world, "quota", {"limit": "member_daily", "value": "none"})
        assert "allows at most 1 videos per day for each member" in lifted["content"] and lifted["flags"] & 64
        raised = await admin(world, "quota", {"limit": "member_daily", "value": "5"})
        assert "stricter, not looser" in raised["content"]
        shorter = await admin(world, "quota", {"limit": "member_cooldown", "value": "0"})
        assert "at least 30" in shorter["content"], "for a cooldown the owner's value is the least"
        longer = await admin(world, "quota", {"limit": "member_cooldown", "value": "60"})
        assert "seconds between two videos of one member: 30 → 60" in longer["content"], "stricter is fine"
        [entry] = await world.bot.guild_store.audit_log(world.guild)
        assert entry.action == "quota" and Note.load(entry.detail) == Note(
            "limit", {"name": "member_cooldown", "before": 30, "after": 60, "default": False}
        ), "kept as a key and its values, in no language"

        async with world.bot.db.transaction() as tx:  # an override from before the rule: unlimited
            await world.bot.quota.store.set_override(tx, world.guild, "member_daily", None)
            await world.bot.quota.store.set_override(tx, world.guild, "member_cooldown", 0)
        await generate(world, "the first of the day")
        await world.wait_for(lambda: world.video_messages())
        refused = await generate(world, "a second one")
        assert "limit of 1 videos per day for each member" in await world.private_answer(refused)
        assert len(world.luma.videos_requests()) == 1
