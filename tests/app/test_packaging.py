"""Reproducible installs: the lock files pin every dependency, and this environment was installed from them."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def pins(lock: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / lock).read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, _, pinned = line.strip().partition("==")
            found[_name(name)] = pinned.split()[0]
    return found


def test_every_dependency_is_pinned_in_the_locks() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    test = {_name(r) for r in project["optional-dependencies"]["test"]}
    assert runtime <= set(pins("requirements.lock")), "requirements.lock is stale: re-run pip-compile (README)"
    assert runtime | test <= set(pins("requirements-dev.lock")), "requirements-dev.lock is stale"
    assert pins("requirements.lock").items() <= pins("requirements-dev.lock").items(), "the two locks disagree"


def test_this_environment_was_installed_from_the_lock() -> None:
    mismatched = {}
    for name, pinned in pins("requirements-dev.lock").items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            mismatched[name] = (pinned, None)
            continue
        if installed != pinned:
            mismatched[name] = (pinned, installed)
    assert mismatched == {}, "install with: pip install -r requirements-dev.lock -e ."
