"""Role tiers and grants (#22): set by a server's admins, met by members in the same reservation as every limit."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.guilds.quota import Limits, QuotaExceeded, QuotaService
from bot.jobs.service import JobService, NewJob
from bot.luma import LumaClient, VideoRequest
from bot.store import Database, QuotaStore
from bot.store.db import load_migrations
from bot.store.postgres import PostgresDatabase, load_postgres_migrations

from ..harness import World
from ..helpers import admin, answer, failure_messages


async def quota_of(world: World, user: int) -> str:
    asked = await world.discord.slash(world.guild, world.channel, user, ["luma", "quota"], {})
    return str((await answer(world, asked))["embeds"])


async def refusal(world: World, prompt: str, user: int) -> str:
    return await world.private_answer(await world.generate(prompt, user=user))


@pytest.mark.usefixtures("both_databases")
async def test_two_tiered_roles_give_the_larger_limit_and_the_smaller_once_one_is_taken_away(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, QUOTA_MEMBER_DAILY="1", QUOTA_MEMBER_COOLDOWN="none") as world:
        fans = await world.discord.create_role(world.guild, "Fans")
        patrons = await world.discord.create_role(world.guild, "Patrons")
        roles = world.discord.members[(world.guild, world.member)]["roles"]
        roles += [str(fans), str(patrons)]
        said = await admin(world, "tier set", {"role": world.discord.role_option(world.guild, fans), "daily": "2"})
        assert "tier of <@&" in said["content"] and "videos per day for each member: 2" in said["content"]
        await admin(world, "tier set", {"role": world.discord.role_option(world.guild, patrons), "daily": "4"})
        listed = await admin(world, "tier list")
        assert str(fans) in listed["embeds"][0]["description"] and str(patrons) in listed["embeds"][0]["description"]
        assert "the limits of" in await quota_of(world, world.member), "/luma quota names the tier"

        for i in range(3):
            await world.generate(f"a patron's video {i}")
            await world.wait_for(lambda n=i: len(world.video_messages()) == n + 1)
        roles.remove(str(patrons))  # Patrons is taken away: Fans' 2 a day is the most generous left
        assert "limit of 2 videos per day for each member" in await refusal(world, "one too many", world.member)

        roles.append(str(patrons))
        await world.generate("the fourth, as a patron again")
        await world.wait_for(lambda: len(world.video_messages()) == 4)
        assert "limit of 4 videos per day" in await refusal(world, "the fifth", world.member)
        await admin(world, "tier remove", {"role": world.discord.role_option(world.guild, patrons)})
        log = await admin(world, "log")
        assert "tier of <@&" in str(log["embeds"]) and "removed" in str(log["embeds"])


@pytest.mark.usefixtures("both_databases")
async def test_a_grant_is_used_after_the_days_allowance_and_refunded_on_failure(tmp_path: Path) -> None:
    async with World(tmp_path, callbacks=True, QUOTA_MEMBER_DAILY="1", QUOTA_MEMBER_COOLDOWN="none") as world:
        said = await admin(
            world, "grant", {"member": world.discord.user_option(world.member), "videos": 1, "expires": "7d"}
        )
        assert "granted <@" in said["content"] and "1 bonus video" in said["content"]
        assert "1 bonus video left" in await quota_of(world, world.member)

        await world.generate("today's own video")
        await world.wait_for(lambda: len(world.video_messages()) == 1)
        world.luma.fail_next_task("Luma could not render this")
        await world.generate("a bonus video that fails")
        await world.wait_for(lambda: failure_messages(world))
        assert "1 bonus video left" in await quota_of(world, world.member), "the failed one's unit came back"
        await world.generate("the bonus video, again")
        await world.wait_for(lambda: len(world.video_messages()) == 2)
        assert "limit of 1 videos per day for each member" in await refusal(world, "no bonus left", world.member)
        assert world.bot is not None
        row = await world.bot.db.fetchone(
            "SELECT COUNT(*) AS n FROM reservations WHERE grant_id IS NOT NULL AND state = 'charged'"
        )
        assert row["n"] == 1, "one bonus video charged; the failed one was refunded to the grant"


async def test_200_racing_requests_against_a_tier_limit_of_50_grant_exactly_50(open_db: Any) -> None:
    db = await open_db()
    quota = QuotaService(db, QuotaStore(db), Limits(member_daily=1, member_waiting=None, member_concurrent=None))
    jobs = JobService(db, LumaClient(None, "http://unused", "t"), quota)  # type: ignore[arg-type]
    async with db.transaction() as tx:
        await quota.store.set_tier(tx, 1, 7, "member_daily", 50)
    new = NewJob(1, 100, 10, VideoRequest.generate("a tier race"), roles=(7, 8))
    results = await asyncio.gather(*(jobs.accept(new) for _ in range(200)), return_exceptions=True)
    granted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(granted) == 50 and len(refused) == 150 and {r.limit for r in refused} == {"member_daily"}
    row = await db.fetchone("SELECT COUNT(*) AS n FROM reservations WHERE state = 'held'")
    assert row["n"] == 50
    await db.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_the_exempt_role_becomes_a_tier_without_member_limits(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Migration 0011, from a database where a server had an exempt role and a waiting job of one of its members."""
    if engine == "sqlite":
        path = tmp_path / "old.sqlite3"

        async def opened(upto: int | None) -> Any:
            return await Database.open(path, migrations=load_migrations()[:upto] if upto else None)
    else:
        url = await request.getfixturevalue("postgres").new_database()

        async def opened(upto: int | None) -> Any:
            return await PostgresDatabase.open(url, migrations=load_postgres_migrations()[:upto] if upto else None)

    old = await opened(10)
    async with old.transaction() as tx:
        await tx.execute(
            "INSERT INTO guild_settings (guild_id, role_id, role_mode, updated_at) VALUES (1, 77, 'exempt', '2026')"
        )
        await tx.execute(
            "INSERT INTO jobs (id, guild_id, channel_id, user_id, action, request, state, created_at, exempt)"
            " VALUES ('waiting', 1, 2, 3, 'generate', '{\"prompt\": \"old\"}', 'queued', '2026-01-01T00:00:00Z', 1)"
        )
    await old.close()
    db = await opened(None)
    tiers = await QuotaStore(db).tiers(1)
    assert tiers == {
        77: dict.fromkeys(("member_daily", "member_monthly", "member_concurrent", "member_cooldown", "member_waiting"))
    }
    row = await db.fetchone("SELECT role_mode, role_id FROM guild_settings WHERE guild_id = 1")
    assert row["role_mode"] is None and row["role_id"] is None, "the role rule no longer says exempt"
    job = await db.fetchone("SELECT member_concurrent FROM jobs WHERE id = 'waiting'")
    assert job["member_concurrent"] is None, "the waiting job keeps its exemption from the concurrency cap"
    await db.close()
