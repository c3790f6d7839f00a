"""Logs an operator can use (#24): LOG_FORMAT=json, one object per line with the job, server and task as fields, and
LOG_LEVELS per module; run in a process of its own, as the owner's `luma-bot run` sets logging up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError

from ..helpers import clean_env

SCRIPT = """
import logging
from bot.logs import configure_logging
from bot.luma import VideoRequest
from bot.store import Job

configure_logging("INFO", "json", (("bot.jobs", "DEBUG"), ("discord", "DEBUG"), ("bot.web", "ERROR")))
job = Job("job-7", 42, 5, 9, VideoRequest.generate("a lighthouse"), task_id="task-3")
logging.getLogger("bot.jobs.tracking").debug("looked at %r", job)
logging.getLogger("discord.http").debug("a token would be here")
logging.getLogger("bot.web.server").warning("not at ERROR: held back")
logging.getLogger("bot.delivery").info("delivered %r to %s", job, "the channel")
try:
    raise ValueError("boom")
except ValueError:
    logging.getLogger("bot.jobs.endings").exception("could not end %r", job)
"""


def test_json_lines_carry_the_job_and_levels_follow_each_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=clean_env(), cwd=Path(__file__).resolve().parents[2],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is one JSON object
    messages = [line["message"] for line in lines]
    assert "LOG_LEVELS: discord stays at INFO (a library may log secrets below it)" in messages
    assert not any("token" in m for m in messages), "a library asked for DEBUG stays at INFO"
    assert not any("held back" in m for m in messages), "bot.web at ERROR"
    looked = next(line for line in lines if line["message"].startswith("looked at"))
    assert looked["level"] == "DEBUG" and looked["logger"] == "bot.jobs.tracking", "bot.jobs at DEBUG"
    assert (looked["job"], looked["guild"], looked["task"]) == ("job-7", 42, "task-3")
    assert looked["time"].endswith("+00:00")
    delivered = next(line for line in lines if line["message"].startswith("delivered"))
    assert delivered["job"] == "job-7" and delivered["level"] == "INFO"
    failed = next(line for line in lines if line["message"].startswith("could not end"))
    assert failed["level"] == "ERROR" and "ValueError: boom" in failed["exception"]


def test_log_settings_are_checked() -> None:
    settings = Settings.from_env({"LOG_FORMAT": "JSON", "LOG_LEVELS": "bot.jobs=debug, bot.web=WARNING"}, dotenv=None)
    assert settings.log_format == "json" and settings.log_levels == (("bot.jobs", "DEBUG"), ("bot.web", "WARNING"))
    for bad in ({"LOG_FORMAT": "xml"}, {"LOG_LEVELS": "bot.jobs"}, {"LOG_LEVELS": "bot.jobs=LOUD"}):
        with pytest.raises(SettingsError) as info:
            Settings.from_env(bad, dotenv=None)
        assert next(iter(bad)) in info.value.problems[0]
