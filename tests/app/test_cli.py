"""The console script, run as a member of the public would: as processes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.web.serving import free_port

from ..helpers import clean_env

TOKEN = "cli-token-abc"


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


async def run_process(env: dict[str, str], cwd: Path) -> Any:
    """`luma-bot run` as its own process, output (stdout and stderr) on one pipe."""
    import asyncio

    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


@pytest.fixture
def fake_luma_process(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "fake-luma", "--port", str(port), "--token", TOKEN],
        env=clean_env(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
async def fake_discord() -> Any:
    from ..fakes.discord import FakeDiscord

    discord = await FakeDiscord(token="discord-token-xyz").start()
    yield discord
    await discord.stop()


async def check(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    import asyncio

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "check", env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return subprocess.CompletedProcess(["check"], proc.returncode or 0, out.decode(), err.decode())


async def test_check_reports_ok_for_the_right_tokens(fake_luma_process: str, fake_discord: Any, tmp_path: Path) -> None:
    env = clean_env(
        DISCORD_TOKEN="discord-token-xyz",
        DISCORD_API_BASE=fake_discord.api_base,
        ACEDATACLOUD_API_TOKEN=TOKEN,
        ACEDATACLOUD_API_BASE_URL=fake_luma_process,
        DATABASE_PATH=str(tmp_path / "db" / "bot.sqlite3"),
    )
    result = await check(env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("settings: OK")
    assert lines[1].startswith("database: OK (schema version") and "0 jobs rendering, 0 waiting in line" in lines[1]
    assert lines[2].startswith("media: 0 files kept, 0 MB in ")
    assert lines[3] == "Discord token: OK (the bot is Luma)"
    assert lines[4].startswith("warning: Public Bot is on"), "a new application is public: the owner is told"
    assert lines[5] == "Luma API token: OK (it may read tasks and create videos; checked without spending a credit)"
    assert TOKEN not in result.stdout + result.stderr and "discord-token-xyz" not in result.stdout


async def test_check_reports_refused_tokens_clearly(fake_luma_process: str, fake_discord: Any, tmp_path: Path) -> None:
    env = clean_env(
        DISCORD_TOKEN="wrong-discord",
        DISCORD_API_BASE=fake_discord.api_base,
        ACEDATACLOUD_API_TOKEN="wrong-token",
        ACEDATACLOUD_API_BASE_URL=fake_luma_process,
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
    )
    result = await check(env, tmp_path)
    assert result.returncode == 1
    assert "Discord token: FAILED (Discord refused DISCORD_TOKEN with HTTP 401" in result.stdout
    assert "Luma API token: FAILED (it may not read tasks: the token is wrong or was revoked" in result.stdout
    assert "wrong-token" not in result.stdout + result.stderr and "wrong-discord" not in result.stdout
    assert "Traceback" not in result.stderr


async def test_check_says_a_migration_is_pending_and_run_refuses_a_newer_database(
    fake_luma_process: str, fake_discord: Any, tmp_path: Path
) -> None:
    """#24: `check` never migrates (it says what `run` would do); `run` on a database a newer luma-bot used stops
    with a sentence and exit status 2, and the database is left as it was."""
    import sqlite3

    from bot.store import Database
    from bot.store.db import load_migrations

    path = tmp_path / "bot.sqlite3"
    known = len(load_migrations())
    old = await Database.open(path, migrations=load_migrations()[:-1])
    await old.close()
    env = clean_env(
        DISCORD_TOKEN="discord-token-xyz",
        DISCORD_API_BASE=fake_discord.api_base,
        ACEDATACLOUD_API_TOKEN=TOKEN,
        ACEDATACLOUD_API_BASE_URL=fake_luma_process,
        DATABASE_PATH=str(path),
    )
    result = await check(env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"database: a migration is pending (schema version {known - 1}; this luma-bot's is {known})" in result.stdout

    def version() -> int:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0])

    assert version() == known - 1, "check did not migrate"
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (?, 'from_a_newer_bot', 'now')", (known + 1,))
    proc = await run_process(env, tmp_path)
    out, _ = await proc.communicate()
    assert proc.returncode == 2
    assert f"the database is at schema version {known + 1}, newer than this luma-bot knows ({known})" in out.decode()
    assert version() == known + 1, "nothing applied, nothing rolled back"
    again = await check(env, tmp_path)
    assert again.returncode == 1 and "database: FAILED (schema version" in again.stdout


@pytest.mark.parametrize(
    ("command", "given", "missing"),
    [
        ("run", {"DISCORD_TOKEN": "d"}, "ACEDATACLOUD_API_TOKEN"),
        ("run", {"ACEDATACLOUD_API_TOKEN": "a"}, "DISCORD_TOKEN"),
        ("check", {"DISCORD_TOKEN": "d"}, "ACEDATACLOUD_API_TOKEN"),
    ],
)
def test_a_missing_token_is_one_sentence_and_exit_2(
    tmp_path: Path, command: str, given: dict[str, str], missing: str
) -> None:
    result = run([command], clean_env(**given), tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"luma-bot: {missing} is not set: put it in the environment or in .env (see .env.example)"
    )
    assert "Traceback" not in result.stderr


def test_an_invalid_setting_is_named(tmp_path: Path) -> None:
    result = run(["check"], clean_env(DISCORD_TOKEN="d", ACEDATACLOUD_API_TOKEN="a", WEB_PORT="eighty"), tmp_path)
    assert result.returncode == 2 and "WEB_PORT is not a whole number" in result.stderr
    assert "eighty" not in result.stderr, "a setting's value is never echoed (it may be a pasted secret)"


async def test_run_makes_a_video_logs_no_secret_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """`luma-bot run` as an owner runs it, at DEBUG: connects, makes a video through the fakes, serves
    /healthz, exits 0 quickly on SIGTERM, and no token or secret appears anywhere in its output."""
    import asyncio
    import signal

    import aiohttp

    from bot.luma.fake import FakeLuma

    from ..fakes.discord import FakeDiscord

    discord = await FakeDiscord(token="d-token-secret").start()
    guild = discord.add_guild()
    member = discord.add_user("member")
    discord.add_member(guild, member)
    luma = await FakeLuma(token="l-token-secret", delay=0.2).start()
    port = free_port()
    env = clean_env(
        DISCORD_TOKEN="d-token-secret",
        ACEDATACLOUD_API_TOKEN="l-token-secret",
        ACEDATACLOUD_API_BASE_URL=luma.url,
        DISCORD_API_BASE=discord.api_base,
        DISCORD_GATEWAY_URL=discord.gateway_url,
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        WEB_PORT=str(port),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        CALLBACK_SECRET="cb-secret-value",
        LOG_LEVEL="DEBUG",
    )
    proc = await run_process(env, tmp_path)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        if (await r.json())["ready"]:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the bot never became ready")
        channel = discord.guilds[guild]["channel_ids"][0]
        interaction = await discord.slash(guild, channel, member, ["luma", "generate"], {"prompt": "a process test"})
        await discord.wait_for(lambda: any("Video ID" in str(m.get("embeds")) for m in discord.messages.values()))
        callback_url = next(iter(luma.tasks.values())).request["callback_url"]
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        output = (await proc.stdout.read()).decode()  # type: ignore[union-attr]
        assert "stopping (jobs in flight resume at the next start)" in output and "Traceback" not in output
        assert "DEBUG" in output, "the bot really logged at DEBUG"
        for secret in (
            "d-token-secret",
            "l-token-secret",
            "cb-secret-value",
            interaction.token,
            callback_url.rsplit("/", 1)[1],
        ):
            assert secret not in output
    finally:
        if proc.returncode is None:
            proc.kill()
        await luma.stop()
        await discord.stop()


async def test_sync_registers_the_commands_in_one_guild(tmp_path: Path) -> None:
    import asyncio

    from ..fakes.discord import FakeDiscord

    discord = await FakeDiscord(token="d-token").start()
    guild = discord.add_guild()
    try:
        env = clean_env(
            DISCORD_TOKEN="d-token",
            DISCORD_API_BASE=discord.api_base,
            DISCORD_GATEWAY_URL=discord.gateway_url,
            DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "sync",
            "--guild",
            str(guild),
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        assert f"synced 4 commands to guild {guild}: Animate image, Extend video, luma, luma-admin" in out.decode()
        assert {c["name"] for c in discord.commands[guild]} == {"luma", "luma-admin", "Extend video", "Animate image"}
        assert discord.identify is None, "syncing needs no gateway connection"
    finally:
        await discord.stop()


@pytest.mark.parametrize("problem", ["port", "database"])
async def test_startup_problems_are_one_clear_sentence(tmp_path: Path, problem: str) -> None:
    import asyncio

    from ..fakes.discord import FakeDiscord

    discord = await FakeDiscord(token="d-token").start()
    discord.add_guild()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = clean_env(
            DISCORD_TOKEN="d-token",
            ACEDATACLOUD_API_TOKEN="l-token",
            DISCORD_API_BASE=discord.api_base,
            DISCORD_GATEWAY_URL=discord.gateway_url,
            DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
            WEB_PORT=str(port) if problem == "port" else "0",
        )
        if problem == "database":  # a path below a file can never be created
            (tmp_path / "a-file").write_text("")
            env["DATABASE_PATH"] = str(tmp_path / "a-file" / "bot.sqlite3")
        proc = await run_process(env, tmp_path)
        try:
            output = (await asyncio.wait_for(proc.communicate(), 30))[0].decode()
        finally:
            await discord.stop()
    assert proc.returncode == 2
    if problem == "port":
        assert f"the web server cannot listen on 127.0.0.1:{port}" in output and "set WEB_HOST/WEB_PORT" in output
    else:
        assert "the database at" in output and "check DATABASE_PATH" in output
    assert "Traceback" not in output


async def test_the_fake_api_process_enforces_its_in_flight_limit(fake_luma_process: str) -> None:
    """`luma-bot fake-luma` (default --max-in-flight 5) answers a task over the limit like the real API."""
    import aiohttp

    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {"action": "generate", "prompt": "one more", "async": True}
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(6):
            async with http.post(f"{fake_luma_process}/luma/videos", json=body, headers=headers) as r:
                statuses.append(r.status)
                answer = await r.json()
    assert statuses == [200] * 5 + [429]
    assert answer["error"] == {"code": "rate_limited", "message": "Concurrency limit exceeded for this token."}
