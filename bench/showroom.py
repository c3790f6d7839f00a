"""The showcase and the gallery at size (#23): the gallery's pages over 100,000 videos of one server, on SQLite and
PostgreSQL, served by the real bot process; and a burst of 1,000 ⭐ reactions through the fake gateway."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.clock import iso, system_clock

from .scenarios import Stage, iso_now, percentile

WORDS = (
    "fox whale lighthouse storm river city neon forest desert ocean mountain snow rain sunset dawn night garden "
    "dragon robot castle bridge train balloon lantern market temple waterfall meadow glacier volcano harbor koi cat "
    "owl horse tiger paper glass golden silver crimson misty quiet slow fast gentle wild ancient future tiny giant"
).split()
RARE = "aurora"  # in one prompt of 200: a search that must look at every row
SECRET = "bench-gallery-secret-0123456789abcdef"


def prompts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        words = rng.sample(WORDS, 7)
        if i % 200 == 0:
            words.insert(3, RARE)
        out.append("a " + " ".join(words))
    return out


async def seed_videos(db_path: Path, stage: Stage, count: int, url: str | None) -> None:
    """`count` finished videos of the stage's server (a few private, deleted or starred, as in a real one)."""
    from bot.store.opening import open_database

    db = await open_database(db_path, url)
    rng = random.Random(11)
    base = time.time() - count
    rows = []
    for i, prompt in enumerate(prompts(count)):
        rows.append(
            (
                f"video-{i:06d}-{uuid.uuid4().hex[:6]}",
                stage.guild,
                stage.users[i % len(stage.users)],
                stage.channel,
                f"task-{i}",
                "generate",
                prompt,
                f"https://cdn.example/{i}.mp4",
                f"https://cdn.example/{i}.jpg",
                iso(datetime.fromtimestamp(base + i, UTC)),  # one a second, the newest now
                secrets.token_urlsafe(18),
                int(i % 97 == 0),  # private
                rng.choice((0,) * 9 + (rng.randint(1, 40),)),  # stars
                iso_now() if i % 211 == 0 else None,  # deleted
            )
        )
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO videos (video_id, guild_id, user_id, channel_id, task_id, action, prompt, video_url,"
            " thumbnail_url, created_at, serve_key, private, stars, deleted_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    if url:  # PostgreSQL plans by its statistics: read them as autovacuum would after such a load
        await db.execute("ANALYZE videos")
    await db.close()


async def plain_selects(db_path: Path, url: str | None, guild: int, n: int) -> dict[str, list[float]]:
    """The baseline: a plain SELECT of the same rows the pages show (the newest 25, and the newest 25 with the rare
    word), without the visibility rule, the names, the media or the page."""
    from bot.store.opening import open_database

    db = await open_database(db_path, url)
    try:
        out: dict[str, list[float]] = {"first": [], "search": []}
        for key, extra, params in (
            ("first", "", [guild]),
            ("search", " AND prompt LIKE ?", [guild, f"%{RARE}%"]),
        ):
            for _ in range(n):
                started = time.perf_counter()
                await db.fetchall(
                    f"SELECT * FROM videos WHERE guild_id = ?{extra} ORDER BY created_at DESC LIMIT 25", params
                )
                out[key].append((time.perf_counter() - started) * 1000)
        return out
    finally:
        await db.close()


async def gallery_at_size(stage: Stage, count: int, n: int, url: str | None = None) -> dict[str, Any]:
    """p50/p95 of the gallery's first page, a most-starred page and a search for a rare word, over HTTP from the bot
    process, on `count` videos of one server; beside a plain SELECT of the same rows."""
    from bot.gallery.passes import Passes

    assert stage.http is not None
    db = stage.work / f"gallery-{uuid.uuid4().hex}.sqlite3"
    await seed_videos(db, stage, count, url)
    extra = {"DATABASE_URL": url} if url else {}
    env = stage.env(callbacks=True, db=db, CALLBACK_SECRET=SECRET, **extra)
    token, _ = Passes(SECRET, 24, system_clock).issue(stage.guild, stage.users[0], 0)
    page = f"http://127.0.0.1:{env['WEB_PORT']}/gallery/{token}"
    out: dict[str, Any] = {}
    async with stage.bot(env):
        for key, address, expect in (
            ("first", page, 24),
            ("stars", page + "?sort=stars", 24),
            ("search", page + f"?q={RARE}", 24),
        ):
            times = []
            for i in range(n + 3):
                started = time.perf_counter()
                async with stage.http.get(address) as answer:
                    body = await answer.text()
                    assert answer.status == 200, body[:300]
                if i >= 3:  # the first few warm the caches, as an owner's gallery is warm
                    times.append((time.perf_counter() - started) * 1000)
            assert body.count("<article") == expect, f"{key}: {body.count('<article')} videos shown"
            out[key] = times
    out["plain"] = await plain_selects(db, url, stage.guild, n)
    return out


async def showcase_burst(stage: Stage, results: int, per_result: int) -> dict[str, Any]:
    """`results` of the bot's results, each starred by `per_result` members at once (a burst of results × per_result
    reaction events over the gateway): how long until every star is counted and every showcase post shows its final
    count, and how many requests to Discord that took, beside one per reaction."""
    assert stage.http is not None
    db = stage.work / f"showcase-{uuid.uuid4().hex}.sqlite3"
    showcase = stage.discord.add_channel(stage.guild, "showcase")
    messages = []
    from bot.store.opening import open_database

    store = await open_database(db, None)
    rows = []
    for i in range(results):
        message = stage.discord._create_message(stage.channel, {"content": f"result {i}"})
        messages.append(int(message["id"]))
        rows.append(
            (
                f"burst-{i}",
                stage.guild,
                stage.users[0],
                stage.channel,
                f"t-{i}",
                "generate",
                f"burst prompt {i}",
                f"https://cdn.example/b{i}.mp4",
                iso_now(),
                int(message["id"]),
                stage.channel,
            )
        )
    async with store.transaction() as tx:
        await tx.executemany(
            "INSERT INTO videos (video_id, guild_id, user_id, channel_id, task_id, action, prompt, video_url,"
            " created_at, message_id, message_channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        await tx.execute(
            "INSERT INTO guild_settings (guild_id, showcase_channel_id, showcase_stars, updated_at)"
            " VALUES (?, ?, 3, ?)",
            (stage.guild, showcase, iso_now()),
        )
    env = stage.env(callbacks=True, db=db)
    fans = []
    for i in range(per_result):  # members other than the requester (stage.users[0])
        fan = stage.discord.add_user(f"fan{i}-{uuid.uuid4().hex[:4]}")
        stage.discord.add_member(stage.guild, fan)
        fans.append(fan)
    final = f"⭐ **{len(fans)}**"
    async with stage.bot(env):
        first = len(stage.discord.requests)
        started = time.monotonic()
        await asyncio.gather(*(stage.discord.react(m, fan) for fan in fans for m in messages))
        sent = time.monotonic() - started
        while await _counted(store) < results * len(fans):
            if time.monotonic() - started > 120:
                raise TimeoutError(f"{await _counted(store)} of {results * len(fans)} stars counted")
            await asyncio.sleep(0.01)
        counted = time.monotonic() - started
        await stage.discord.wait_for(
            lambda: sum(m["content"].startswith(final) for m in stage.discord.channel_messages(showcase)) == results,
            timeout=120,
        )
        shown = time.monotonic() - started
        calls = len(stage.discord.requests) - first
    await store.close()
    posts = stage.discord.channel_messages(showcase)
    assert len(posts) == results, f"{len(posts)} showcase posts for {results} results"
    return {
        "reactions": results * len(fans),
        "sent_s": sent,
        "counted_s": counted,
        "shown_s": shown,
        "requests": calls,
        "posts": len(posts),
    }


async def _counted(db: Any) -> int:
    row = await db.fetchone("SELECT COUNT(*) AS n FROM stars")
    return int(row["n"]) if row else 0


def summary(runs: list[dict[str, Any]], row: Any, count: int, burst: int) -> None:
    """The rows of the table for these scenarios."""
    import statistics

    for base in ("sqlite", "pg"):
        name = "SQLite" if base == "sqlite" else "PostgreSQL"
        for key, label in (("first", "first page"), ("stars", "most starred"), ("search", "search (rare word)")):
            times = [percentile(r[f"gallery_{base}"][key], 95) for r in runs]
            plain_key = "search" if key == "search" else "first"
            plain = [percentile(r[f"gallery_{base}"]["plain"][plain_key], 95) for r in runs]
            row(
                f"gallery {name}: {label} p95, {count:,} videos",
                "ms",
                times,
                plain,
                "≤ 50 ms",
                statistics.median(times) <= 50,
            )
    shown = [r["showcase"]["shown_s"] for r in runs]
    row(f"showcase: {burst:,} ⭐ at once → all counted", "s", [r["showcase"]["counted_s"] for r in runs])
    row(f"showcase: {burst:,} ⭐ at once → posts final", "s", shown)
    per = [r["showcase"]["requests"] / r["showcase"]["reactions"] for r in runs]
    row("showcase: requests to Discord per ⭐", "", per, [1.0 for _ in runs])
