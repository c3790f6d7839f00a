"""The layer rules of design.md, checked over whole folders rather than a hand-kept list."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The Discord layer inside bot/: the commands.Bot, the command tree, what members see and how it is posted.
DISCORD_LAYER = ("bot.app", "bot.delivery", "bot.ui")  # packages (and their modules)
SQL = re.compile(r"""["'][^"']*\b(SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)""")


def in_discord_layer(module: str) -> bool:
    return any(module == package or module.startswith(package + ".") for package in DISCORD_LAYER)


def modules(folder: str) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(".".join(parts))
    return found


def test_the_core_imports_nothing_from_discord() -> None:
    # the owner's terminal commands (bot.owner) are an edge of their own: they may use discord.py's permission math
    core = [
        m
        for m in modules("bot")
        if not in_discord_layer(m) and m != "bot.__main__" and not m.startswith("bot.owner")
    ]
    assert "bot.jobs.service" in core and "bot.store.db" in core and len(core) > 20
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in core)
        + ("bad = sorted(m for m in sys.modules if m == 'discord' or m.startswith('discord.'))\nprint(bad)")
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_sql_lives_only_in_bot_store() -> None:
    offenders = []
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.is_relative_to(ROOT / "bot" / "store"):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if SQL.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "SQL outside bot/store:\n" + "\n".join(offenders)


def test_cogs_hold_no_api_details() -> None:
    for path in (ROOT / "cogs").rglob("*.py"):
        text = path.read_text()
        assert "acedata" not in text.lower() and "/luma/" not in text, f"API details in {path.name}"


def test_sql_takes_parameters_never_formatted_values() -> None:
    for path in (ROOT / "bot" / "store").glob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r'f"[^"]*\b(WHERE|VALUES|SET)\b[^"]*\{(?!_COLUMNS|_MARKS|marks|name)', line):
                raise AssertionError(f"{path.name}:{number} formats a value into SQL: {line.strip()}")


def test_the_sql_check_can_fail() -> None:
    assert SQL.search('await tx.execute("UPDATE reservations SET state = ? WHERE job_id = ?", …)')
    assert SQL.search("rows = await db.fetchall('SELECT id FROM jobs')")
    assert not SQL.search('log.info("selected the update of %s", x)')
