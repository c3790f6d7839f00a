"""Talking to the owner in a terminal: their language (LANG), questions, hidden answers, a progress bar."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from typing import TextIO

from bot.i18n import _

__all__ = ["Terminal", "terminal_locale"]

# the terminal's Chinese locales that Discord's two catalogs serve best
_CHINESE = {"zh_HK": "zh_TW", "zh_MO": "zh_TW", "zh_Hant": "zh_TW", "zh_SG": "zh_CN", "zh_Hans": "zh_CN", "zh": "zh_CN"}


def terminal_locale(environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """The terminal's language, as gettext reads it (LC_ALL, LC_MESSAGES, LANG): "zh_CN.UTF-8" → "zh_CN"."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").split(".")[0].split("@")[0]
        if value and value not in ("C", "POSIX"):
            return _CHINESE.get(value, value)
    return None


class Terminal:
    """Questions and answers on a terminal (or, for `--yes` runs, no questions at all)."""

    def __init__(self, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.out, self.err = out, err

    @staticmethod
    def interactive() -> bool:
        return sys.stdin.isatty() and sys.stdout.isatty()

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def ask(
        self, question: str, *, default: str | None = None, check: Callable[[str], str | None] | None = None
    ) -> str:
        """Ask until the answer passes `check` (which returns what is wrong, or None); Enter takes `default`."""
        while True:
            hint = f" [{default}]" if default else ""
            answer = input(f"{question}{hint}: ").strip()
            if not answer and default is not None:
                return default
            problem = check(answer) if check is not None else None
            if problem is None and answer:
                return answer
            self.say(problem or _("Please answer, or press Ctrl+C to stop."))

    def ask_secret(self, question: str, *, keep: bool = False) -> str | None:
        """A token: never shown as it is typed, never printed. With `keep`, Enter keeps the current one (None)."""
        hint = " " + _("(Enter keeps the current one)") if keep else ""
        while True:
            answer = getpass.getpass(f"{question}{hint}: ").strip()
            if answer or keep:
                return answer or None
            self.say(_("Please paste it, or press Ctrl+C to stop."))

    def yes(self, question: str, *, default: bool = False) -> bool:
        hint = _("[Y/n]") if default else _("[y/N]")
        answer = input(_("{question} {hint} ").format(question=question, hint=hint)).strip().lower()
        if not answer:
            return default
        return answer[0] in ("y", "j", "是", "好", "对", "對")

    def bar(self, fraction: float, label: str, width: int = 24) -> None:
        """One line of progress, redrawn in place on a terminal (else nothing: a log gets the final line only)."""
        if not self.err.isatty():
            return
        filled = int(max(0.0, min(1.0, fraction)) * width)
        self.err.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {label}\x1b[K")
        self.err.flush()

    def end_bar(self) -> None:
        if self.err.isatty():
            self.err.write("\r\x1b[K")
            self.err.flush()
