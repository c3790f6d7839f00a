"""The layer rules of design.md, checked over whole folders rather than a hand-kept list."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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
        m for m in modules("bot") if not in_discord_layer(m) and m != "bot.__main__" and not m.startswith("bot.owner")
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
            if re.search(r'f"[^"]*\b(WHERE|VALUES|SET)\b[^"]*\{(?!_COLUMNS|_MARKS|_SHOWN|marks|name)', line):
                raise AssertionError(f"{path.name}:{number} formats a value into SQL: {line.strip()}")


def test_the_sql_check_can_fail() -> None:
    assert SQL.search('await tx.execute("UPDATE reservations SET state = ? WHERE job_id = ?", …)')
    assert SQL.search("rows = await db.fetchall('SELECT id FROM jobs')")
    assert not SQL.search('log.info("selected the update of %s", x)')


# --- one way only: no circles, and the core never reaches up (issue #20) -----------------------------------------

CLASS_LINES, FUNCTION_LINES = 250, 50  # a part longer than this is doing more than one job
ENTRY_POINTS = ("bot.__main__", "bot.cli")  # the console script: it starts the app, so it may import it


def import_graph(root: Path, folders: tuple[str, ...] = ("bot", "cogs")) -> dict[str, set[str]]:
    """Every module's imports of the others, TYPE_CHECKING and function-local ones included (a circle closed
    under TYPE_CHECKING is still two modules that cannot be understood apart)."""
    paths = {}
    for folder in folders:
        for path in (root / folder).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            paths[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(max(node.level - 1, 0)):
                    base = base.rpartition(".")[0]
                source = (f"{base}.{node.module}" if node.module else base) if node.level else str(node.module)
                names = [f"{source}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                while name and name not in paths:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    targets.add(name)
        graph[module] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_import_circles() -> None:
    graph = import_graph(ROOT)
    assert "cogs.luma._views" in graph and "bot.jobs.service" in graph and len(graph) > 60
    assert circles(graph) == []


def packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph one level up: bot.jobs.intake → bot.media.archive becomes bot.jobs → bot.media."""

    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])

    merged: dict[str, set[str]] = {}
    for module, targets in graph.items():
        merged.setdefault(package(module), set()).update(package(t) for t in targets if package(t) != package(module))
    return merged


def test_packages_point_one_way() -> None:
    graph = packages(import_graph(ROOT))
    assert "bot.jobs" in graph["bot.delivery"] and "bot.luma" in graph["bot.web"]
    assert circles(graph) == []


def test_the_circle_check_finds_a_circle_closed_under_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "bot" / "things"
    package.mkdir(parents=True)
    (tmp_path / "bot" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("from .view import Button\n")
    (package / "cog.py").write_text("from .view import Button\n")
    (package / "view.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.things.cog import Cog\nclass Button: ...\n"
    )
    (package / "alone.py").write_text("import bot.things.view\n")
    assert circles(import_graph(tmp_path, ("bot",))) == [["bot.things.cog", "bot.things.view"]]


def test_the_core_never_imports_the_app_or_the_cogs() -> None:
    graph = import_graph(ROOT)
    upward = {
        f"{module} → {target}"
        for module, targets in graph.items()
        if not module.startswith(("bot.app", "cogs")) and module not in ENTRY_POINTS
        for target in targets
        if target == "bot.app" or target.startswith(("bot.app.", "cogs"))
    }
    assert upward == set()
    assert "bot.app.running" in graph["bot.cli"], "the check sees the entry point's (allowed) import of the app"


def oversized(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        limit = CLASS_LINES if isinstance(node, ast.ClassDef) else FUNCTION_LINES
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > limit:
                found.append(f"{name}: {node.name} is {lines} lines (at most {limit})")
    return found


def test_parts_are_small() -> None:
    found = []
    for folder in ("bot", "cogs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += oversized(path.read_text(), str(path.relative_to(ROOT)))
    assert found == []


def test_the_size_check_can_fail() -> None:
    long_function = "def work():\n" + "    x = 1\n" * FUNCTION_LINES
    assert oversized(long_function, "f.py") == [f"f.py: work is {FUNCTION_LINES + 1} lines (at most {FUNCTION_LINES})"]
    assert oversized("class Small:\n    def a(self):\n        pass\n", "f.py") == []


def test_test_modules_share_helpers_through_one_module() -> None:
    """A helper lives in tests/helpers.py (or the harness and the fakes), never in another test module."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[-1].startswith("test_"):
                offenders.append(f"{path.relative_to(ROOT)}: from {'.' * node.level}{node.module}")
    assert offenders == []
