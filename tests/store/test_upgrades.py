"""Upgrades (#24): from every earlier schema version to the latest, with data in every table, on SQLite and on
PostgreSQL; a database newer than the code is refused before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.store import GuildStore, JobStore, VideoStore
from bot.store.db import Database, Migration, SchemaTooNew, load_migrations
from bot.store.postgres import PostgresDatabase, load_postgres_migrations

NOW = "2026-01-01T00:00:00.000000Z"
# One row per table, as the latest schema has it; at an older version each is written with the columns that version
# has (in this order: a row's references come first).
ROWS: dict[str, dict[str, Any]] = {
    "guild_settings": {
        "guild_id": 1, "paused": 0, "allowed_channels": "[2]", "role_id": 5, "role_mode": "only",
        "default_aspect_ratio": "9:16", "default_loop": 1, "default_enhancement": 0, "updated_at": NOW,
        "mod_log_channel_id": 3, "spoiler": 1, "age_restricted_only": 0, "language": "zh-TW", "mod_log_set_by": 9,
    },
    "guild_limits": {"guild_id": 1, "name": "member_daily", "value": 3},
    "audit_log": {"guild_id": 1, "user_id": 9, "action": "quota", "detail": "{}", "created_at": NOW},
    "jobs": {
        "id": "job-1", "guild_id": 1, "channel_id": 2, "user_id": 10, "action": "generate",
        "request": '{"action": "generate", "prompt": "a kept prompt", "aspect_ratio": "9:16"}', "state": "completed",
        "task_id": "task-1", "video_id": "vid-1", "delivered_via": "channel", "created_at": NOW, "finished_at": NOW,
        "delivered_at": NOW, "spoiler": 1, "member_locale": "zh-TW",
    },
    "videos": {
        "video_id": "vid-1", "luma_video_id": "vid-1", "guild_id": 1, "user_id": 10, "channel_id": 2,
        "job_id": "job-1", "task_id": "task-1", "action": "generate", "prompt": "a kept prompt",
        "video_url": "https://cdn.example/v.mp4", "created_at": NOW, "serve_key": "key-1", "spoiler": 1,
    },
    "reservations": {
        "guild_id": 1, "user_id": 10, "job_id": "job-1", "state": "charged", "day": "2026-01-01", "month": "2026-01",
        "created_at": NOW, "settled_at": NOW,
    },
    "media": {
        "video_id": "vid-1", "kind": "video", "source_url": "https://cdn.example/v.mp4", "state": "kept",
        "path": "ab/vid-1.mp4", "bytes": 1000, "tries": 1, "created_at": NOW, "updated_at": NOW,
    },
    "budget_alerts": {"month": "2026-01", "percent": 80, "sent_at": NOW},
    "blocked_terms": {"guild_id": 1, "term": "spam", "added_by": 9, "created_at": NOW},
    "member_blocks": {"guild_id": 1, "user_id": 11, "reason": "flood", "blocked_by": 9, "created_at": NOW},
    "channel_problems": {"guild_id": 1, "channel_id": 3, "purpose": "mod_log", "missing": "embed_links",
                         "noticed_at": NOW},
    "frames": {"id": "frame-1", "guild_id": 1, "url": "https://cdn.example/f.png?sig", "attachment":
               "https://cdn.example/f.png", "created_at": NOW},
    "meta": {"key": "kept", "value": "yes"},
    "stars": {"video_id": "vid-1", "user_id": 12},
    "showcase": {"video_id": "vid-1", "guild_id": 1, "channel_id": 4, "message_id": 5, "state": "posted",
                 "stars_shown": 1, "created_at": NOW},
}  # fmt: skip


class Engine:
    """One database engine: open at a version, and what tables and columns it has there."""

    def __init__(self, kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.kind, self.tmp_path, self.request = kind, tmp_path, request
        self.url: str | None = None

    def migrations(self) -> list[Migration]:
        return load_migrations() if self.kind == "sqlite" else load_postgres_migrations()

    async def open(self, upto: int | None = None, migrations: list[Migration] | None = None) -> Any:
        chosen = migrations if migrations is not None else self.migrations()[:upto] if upto else None
        if self.kind == "sqlite":
            return await Database.open(self.tmp_path / "bot.sqlite3", migrations=chosen)
        if self.url is None:
            self.url = await self.request.getfixturevalue("postgres").new_database()
        return await PostgresDatabase.open(self.url, migrations=chosen)

    async def columns(self, db: Any) -> dict[str, set[str]]:
        if self.kind == "sqlite":
            tables = [r["name"] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {t: {c["name"] for c in await db.fetchall(f"PRAGMA table_info({t})")} for t in tables}
        rows = await db.fetchall(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        )
        found: dict[str, set[str]] = {}
        for row in rows:
            found.setdefault(row["table_name"], set()).add(row["column_name"])
        return found


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    return Engine(request.param, tmp_path, request)


@pytest.mark.parametrize("version", range(1, len(load_migrations())))
async def test_every_earlier_schema_upgrades_to_the_latest_with_its_data(engine: Engine, version: int) -> None:
    old = await engine.open(version)
    assert await old.schema_version() == version
    present = await engine.columns(old)
    written = []
    async with old.transaction() as tx:
        for table, row in ROWS.items():
            if table not in present:
                continue
            kept = {k: v for k, v in row.items() if k in present[table]}
            columns = ", ".join(kept)
            await tx.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' for _ in kept)})", tuple(kept.values())
            )
            written.append(table)
    await old.close()

    db = await engine.open()
    assert await db.schema_version() == len(engine.migrations())
    for table in written:
        row = await db.fetchone(f"SELECT COUNT(*) AS n FROM {table}")
        assert row["n"] == 1, f"{table}: the row written at version {version} is there after the upgrade"
    job = await JobStore(db).get("job-1")
    assert job is not None and job.request.prompt == "a kept prompt" and job.state == "completed"
    if "videos" in written:
        video = await VideoStore(db).get(1, "vid-1")
        assert video is not None and video.prompt == "a kept prompt" and video.private is False
        assert video.stars == 0, "a video from before stars has none (0012)"
    if "guild_settings" in written:
        settings = await GuildStore(db).get(1)
        assert settings.role_mode == "only" and settings.default_aspect_ratio == "9:16"
    await db.close()


async def test_a_database_newer_than_the_code_is_refused_before_anything_is_written(engine: Engine) -> None:
    latest = engine.migrations()
    newer = [*latest, Migration(len(latest) + 1, "from_the_future", "CREATE TABLE future (x INTEGER);")]
    db = await engine.open(migrations=newer)
    await db.close()
    older_code = latest[:-1]  # this code knows one version fewer than the database already has applied
    with pytest.raises(SchemaTooNew) as refused:
        await engine.open(migrations=older_code)
    assert refused.value.found == len(newer) and refused.value.known == len(older_code)
    assert "newer" in str(refused.value) and "backup" in str(refused.value)
    db = await engine.open(migrations=newer)
    assert await db.schema_version() == len(newer), "nothing was rolled back or half-applied"
    await db.close()
