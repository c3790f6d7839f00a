"""The owner's first hour, driven as a person would: `luma-bot setup` and `luma-bot try` in a pseudo-terminal
(pexpect types the answers), `invite` and `check` as commands, against the fake Discord and the fake Luma API."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pexpect

from bot.luma.fake import MEDIA, FakeLuma
from bot.web.serving import free_port

from ..fakes.discord import FakeDiscord
from ..helpers import clean_env

LUMA_TOKEN = "a-real-looking-acedatacloud-token"


@asynccontextmanager
async def fakes() -> AsyncIterator[tuple[FakeDiscord, FakeLuma, str]]:
    """A fake Discord whose bot token looks like Discord's (its first part names the application), and the fake API."""
    discord = FakeDiscord()
    discord.token = base64.b64encode(str(discord.application_id).encode()).decode().rstrip("=") + ".GhJkLm.s3cr3t"
    await discord.start()
    luma = await FakeLuma(token=LUMA_TOKEN, delay=2.5).start()
    try:
        yield discord, luma, discord.token
    finally:
        await luma.stop()
        await discord.stop()


def environment(discord: FakeDiscord, luma: FakeLuma, tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        DISCORD_API_BASE=discord.api_base,
        ACEDATACLOUD_API_BASE_URL=luma.url,
        DATABASE_PATH=str(tmp_path / "data" / "bot.sqlite3"),
        WEB_PORT=str(free_port()),
        LANG="C.UTF-8",
        POLL_FIRST_DELAY="0.3",
        POLL_INTERVAL="0.3",
        **extra,
    )


def spawn(args: list[str], env: dict[str, str], cwd: Path) -> Any:
    return pexpect.spawn(sys.executable, ["-m", "bot", *args], env=env, cwd=str(cwd), encoding="utf-8", timeout=20)


async def answer(child: Any, prompt: str, text: str) -> None:
    await child.expect_exact(prompt, async_=True)
    child.sendline(text)


async def command(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """A command as its own process, without holding up the fakes that live in this test's event loop."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def finish(child: Any) -> tuple[int, str]:
    await child.expect(pexpect.EOF, async_=True)
    child.close()
    return child.exitstatus, child.before or ""


async def test_setup_checks_each_answer_writes_env_and_ends_with_check(tmp_path: Path) -> None:
    async with fakes() as (discord, luma, token):
        luma.add_token("for-another-service", services=("/luma/tasks",))
        env = environment(discord, luma, tmp_path)
        child = spawn(["setup"], env, tmp_path)
        transcript: list[str] = []
        child.logfile_read = _Collect(transcript)
        await answer(child, "Discord bot token", "not-a-token")
        await child.expect_exact("Discord refused this token", async_=True)
        await answer(child, "Discord bot token", token)
        await child.expect_exact(f"Discord application: Luma (id {discord.application_id})", async_=True)
        await child.expect_exact("Public Bot is on", async_=True)  # a new application is public: said
        await child.expect_exact("The Message Content intent is off", async_=True)
        await answer(child, "AceDataCloud API token", "for-another-service")
        await child.expect_exact("it may not create videos: the token belongs to another AceDataCloud service",
                                 async_=True)  # fmt: skip
        await answer(child, "AceDataCloud API token", LUMA_TOKEN)
        await child.expect_exact("The token may read tasks and create videos", async_=True)
        await answer(child, "Public address", "not an address")
        await child.expect_exact("That is not an http(s) address", async_=True)
        await answer(child, "Public address", "")
        await child.expect_exact("Wrote", async_=True)
        await child.expect_exact(
            f"https://discord.com/oauth2/authorize?client_id={discord.application_id}&scope=bot+applications.commands"
            "&permissions=343597501504&integration_type=0",
            async_=True,
        )
        await child.expect_exact("Luma API token: OK", async_=True)
        code, _ = await finish(child)
        shown = "".join(transcript)
        assert code == 0 and "All set. Start the bot with: luma-bot run" in shown
        assert token not in shown and LUMA_TOKEN not in shown, "a token is never echoed"
        written = tmp_path / ".env"
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        values = dict(line.split("=", 1) for line in written.read_text().splitlines() if "=" in line)
        assert values["DISCORD_TOKEN"] == token and values["ACEDATACLOUD_API_TOKEN"] == LUMA_TOKEN
        assert values["MESSAGE_CONTENT_INTENT"] == "false" and values["PUBLIC_BASE_URL"] == ""
        assert [r for r in luma.requests if r["path"] == "/luma/videos"] and luma.tasks == {}, "no credit spent"

        # again, a week later: Enter keeps the tokens; the owner's own lines stay
        written.write_text(written.read_text() + "# my note\nQUOTA_MEMBER_DAILY=9\n")
        discord.message_content_allowed = True
        child = spawn(["setup"], env, tmp_path)
        await answer(child, "Discord bot token", "")
        await answer(child, "plain reply to a video extend it", "y")
        await answer(child, "AceDataCloud API token", "")
        await answer(child, "Public address", "https://bot.example.com/")
        code, _ = await finish(child)
        text = written.read_text()
        assert code == 0 and "QUOTA_MEMBER_DAILY=9" in text and "# my note" in text
        assert "MESSAGE_CONTENT_INTENT=true" in text and "PUBLIC_BASE_URL=https://bot.example.com" in text


def test_setup_without_a_terminal_explains_itself(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "setup"], env=clean_env(), cwd=tmp_path, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "asks its questions in a terminal" in result.stderr
    assert not (tmp_path / ".env").exists()


async def test_invite_prints_the_link_even_when_discord_cannot_be_asked(tmp_path: Path) -> None:
    async with fakes() as (discord, _, token):
        for base in (discord.api_base, f"http://127.0.0.1:{free_port()}/api/v10"):
            env = clean_env(DISCORD_TOKEN=token, DISCORD_API_BASE=base)
            code, out, err = await command(["invite"], env, tmp_path)
            assert code == 0, err
            assert out.strip() == (
                f"https://discord.com/oauth2/authorize?client_id={discord.application_id}"
                "&scope=bot+applications.commands&permissions=343597501504&integration_type=0"
            )
            assert bool(discord.calls("GET", "/oauth2/applications/@me")), "asked Discord first"


async def test_try_asks_before_spending_then_makes_downloads_and_records(tmp_path: Path) -> None:
    async with fakes() as (discord, luma, _):
        env = environment(discord, luma, tmp_path, ACEDATACLOUD_API_TOKEN=LUMA_TOKEN)
        child = spawn(["try", "a lighthouse in a storm"], env, tmp_path)
        await answer(child, "Make it?", "n")
        code, _ = await finish(child)
        assert code == 1 and not [r for r in luma.requests if r["path"] == "/luma/videos"], "nothing was sent"

        record = tmp_path / "exchange.json"
        child = spawn(["try", "a lighthouse in a storm", "--record", str(record)], env, tmp_path)
        transcript: list[str] = []
        child.logfile_read = _Collect(transcript)
        await child.expect_exact("it spends one credit", async_=True)
        await answer(child, "Make it?", "y")
        await child.expect_exact("rendering ·", async_=True)  # the progress bar
        await child.expect_exact("Rendered in", async_=True)
        code, _ = await finish(child)
        shown = "".join(transcript)
        assert code == 0, shown
        [task] = luma.tasks.values()
        saved = tmp_path / f"luma-try-{task.task_id[:12]}.mp4"
        assert saved.read_bytes() == MEDIA.joinpath("sample.mp4").read_bytes()
        assert f"Saved {saved.name}" in shown and "Submitting" in shown and "downloading" in shown
        assert "The API answered as the bot expects." in shown
        document = json.loads(record.read_text())
        assert LUMA_TOKEN not in record.read_text()
        paths = [e["request"]["path"] for e in document["exchanges"]]
        assert paths[0] == "/luma/videos" and "/luma/tasks" in paths and document["findings"] == []


async def test_try_says_where_todays_api_differs(tmp_path: Path) -> None:
    async with fakes() as (discord, luma, _):
        luma.delay = 1.0
        luma.pending_shape = "queueing"  # a state the bot has never seen
        luma.response_extra = {"progress": 40}  # a field the bot does not read
        env = environment(discord, luma, tmp_path, ACEDATACLOUD_API_TOKEN=LUMA_TOKEN)
        record = tmp_path / "differs.json"
        code, out, err = await command(["try", "a small test", "--yes", "--record", str(record)], env, tmp_path)
        assert code == 0, out + err
        assert "differently from what the bot expects" in out
        assert "unknown_state (queueing)" in out and "unknown_fields (progress)" in out
        kinds = {f["what"] for f in json.loads(record.read_text())["findings"]}
        assert kinds == {"unknown_state", "unknown_fields"}


def test_try_without_a_terminal_needs_yes(tmp_path: Path) -> None:
    env = clean_env(ACEDATACLOUD_API_TOKEN=LUMA_TOKEN)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "try", "a test"], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "add --yes" in result.stderr


class _Collect:
    """pexpect's logfile: everything the program showed, for the assertions on the whole transcript."""

    def __init__(self, into: list[str]) -> None:
        self.into = into

    def write(self, text: str) -> None:
        self.into.append(text)

    def flush(self) -> None:
        pass


def test_the_owner_modules_take_their_language_from_the_terminal() -> None:
    from bot.owner.terminal import terminal_locale

    assert terminal_locale({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert terminal_locale({"LANG": "zh_HK.UTF-8"}) == "zh_TW"
    assert terminal_locale({"LC_ALL": "C", "LANG": "zh_TW.UTF-8"}) == "zh_TW"
    assert terminal_locale({}) is None
    assert os.environ is not None


async def test_the_terminal_speaks_the_owners_language(tmp_path: Path) -> None:
    async with fakes() as (discord, luma, token):
        env = environment(discord, luma, tmp_path, DISCORD_TOKEN=token, ACEDATACLOUD_API_TOKEN=LUMA_TOKEN)
        code, out, _ = await command(["check"], {**env, "LANG": "zh_CN.UTF-8"}, tmp_path)
        assert code == 0 and out.startswith("设置：正常") and "Luma API 令牌：正常" in out
        code, out, _ = await command(["check"], {**env, "LANG": "zh_TW.UTF-8"}, tmp_path)
        assert code == 0 and "資料庫：正常" in out
