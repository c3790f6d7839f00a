"""Writing settings into .env: the owner's file stays theirs (its comments, order and other settings kept), and it
is readable by its owner only, since it holds the tokens."""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["write_env"]

from bot.i18n import N_, _

HEADER = N_("luma-bot settings, written by `luma-bot setup` (every setting: .env.example; README › Configuration)")


def write_env(path: Path, values: dict[str, str]) -> None:
    """Set these keys in the dotenv file at `path` (replacing a key's line in place, else adding it), mode 0600."""
    lines = path.read_text().splitlines(keepends=True) if path.exists() else [f"# {_(HEADER)}\n"]
    pending = dict(values)
    for index, line in enumerate(lines):
        match = re.match(r"\s*(?:export\s+)?([A-Z0-9_]+)\s*=", line)
        if match and match[1] in pending:
            lines[index] = f"{match[1]}={pending.pop(match[1])}\n"
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines += [f"{key}={value}\n" for key, value in pending.items()]
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write("".join(lines))
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
