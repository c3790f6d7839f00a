"""The layer rules of design.md, checked rather than trusted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = [
    "bot.config",
    "bot.luma",
    "bot.luma.fake",
    "bot.store",
    "bot.quota",
    "bot.jobs",
    "bot.web",
    "bot.access",
    "bot.inputs",
    "bot.history",
    "bot.admin",
    "bot.callbacks",
    "bot.cli",
]


def test_the_core_imports_nothing_from_discord() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + ("bad = sorted(m for m in sys.modules if m == 'discord' or m.startswith('discord.'))\nprint(bad)")
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cogs_hold_no_sql_and_no_api_urls() -> None:
    sql = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE FROM)\b")
    for path in (ROOT / "cogs").rglob("*.py"):
        text = path.read_text()
        assert not sql.search(text), f"SQL in {path.name}: cogs call services"
        assert "acedata" not in text.lower() and "/luma/" not in text, f"API details in {path.name}"


def test_sql_takes_parameters_never_formatted_values() -> None:
    for path in (ROOT / "bot" / "store").glob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r'f"[^"]*\b(WHERE|VALUES|SET)\b[^"]*\{(?!_COLUMNS|_MARKS|marks|name)', line):
                raise AssertionError(f"{path.name}:{number} formats a value into SQL: {line.strip()}")
