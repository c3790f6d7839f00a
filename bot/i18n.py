"""Speaking the member's language: gettext catalogs managed with Babel, English as the source. No Discord here.

    _("text")            translate now, in the current language (a context variable: set per interaction
                         with `speaking(locale)`, so deep helpers need no locale argument)
    N_("text")           mark a constant for extraction; translate it with _() where it is shown
    ngettext(s, p, n)    plurals, by the language's own rule
    number(), size(), duration()   numbers, sizes and durations the locale's way (Babel's CLDR data)

Catalogs live in bot/locales/<ll_CC>/LC_MESSAGES/luma.po (compiled .mo beside them, shipped in the package).
A Discord locale ("zh-CN") maps to a catalog ("zh_CN"); any locale without one falls back to English.
"""

from __future__ import annotations

import contextlib
import gettext
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_timedelta
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.support import Translations
from babel.units import format_unit

__all__ = [
    "DOMAIN",
    "LOCALES_DIR",
    "N_",
    "SOURCE",
    "_",
    "ago",
    "available",
    "catalog_for",
    "current",
    "duration",
    "listing",
    "ngettext",
    "number",
    "sentences",
    "size",
    "speaking",
]

DOMAIN = "luma"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
SOURCE = "en"

_current: ContextVar[str] = ContextVar("luma_locale", default=SOURCE)


@cache
def available() -> frozenset[str]:
    """The catalogs that ship (compiled), e.g. {"zh_CN", "zh_TW"}."""
    return frozenset(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))


def catalog_for(locale: str | None) -> str:
    """The catalog for a Discord locale ("zh-CN", "zh-TW", "en-US"…), or the source language."""
    if not locale:
        return SOURCE
    name = locale.replace("-", "_")
    return name if name in available() else SOURCE


@cache
def _translations(catalog: str) -> gettext.NullTranslations:
    if catalog == SOURCE:
        return gettext.NullTranslations()
    return Translations.load(str(LOCALES_DIR), [catalog], DOMAIN)


def current() -> str:
    return _current.get()


@contextlib.contextmanager
def speaking(locale: str | None) -> Iterator[str]:
    """Speak `locale` (a Discord locale or a catalog name) within the block."""
    token = _current.set(catalog_for(locale))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def use(locale: str | None) -> str:
    """Speak `locale` for the rest of the current task (an interaction's handler runs in its own task)."""
    _current.set(catalog_for(locale))
    return _current.get()


def _(message: str) -> str:
    return _translations(_current.get()).gettext(message)


def N_(message: str) -> str:
    """A message to translate later (a constant): extracted, returned unchanged."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_current.get()).ngettext(singular, plural, n)


def sentences(*parts: str) -> str:
    """Sentences one after another, the language's way (a space in English, none in Chinese)."""
    text = ""
    for part in parts:
        text = _("{sentence} {next}").format(sentence=text, next=part) if text else part
    return text


def clauses(*parts: str) -> str:
    """Clauses of one line, the language's way ("a; b" in English, "a；b" in Chinese)."""
    text = ""
    for part in parts:
        text = _("{clause}; {next}").format(clause=text, next=part) if text else part
    return text


def _babel_locale() -> Locale:
    return Locale.parse(_current.get())


def number(value: float, digits: int = 2) -> str:
    """1,234.5 / 1,234.5 in the current locale's grouping and decimal marks, at most `digits` decimals."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_babel_locale())


def size(num_bytes: int) -> str:
    """A file size: "4.8 MB" / "4.8 MB" (Babel's unit data; MB = 1,000,000 bytes, as Discord states its limits)."""
    value = num_bytes / 1_000_000
    return format_unit(round(value, 1), "digital-megabyte", length="short", locale=_babel_locale())


def ago(seconds: float) -> str:
    """How long ago, briefly: "5m ago" / "5分钟前" (Babel's narrow units, with the direction)."""
    return format_timedelta(-seconds, format="narrow", add_direction=True, locale=_babel_locale())


def duration(seconds: float) -> str:
    """A rough duration: "about 4 minutes" / "约 4 分钟" (Babel's CLDR units, plural rules included)."""
    return format_timedelta(seconds, threshold=1.1, format="long", locale=_babel_locale())


def listing(items: list[str]) -> str:
    """ "A, B and C" / "A、B和C": a list the current language's way (Babel's CLDR list patterns)."""
    return format_list(list(items), locale=_babel_locale()) if items else ""
