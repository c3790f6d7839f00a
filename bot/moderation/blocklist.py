"""A server's blocked words and phrases, and the folding that makes disguised spellings match. No Discord here.

Both the terms and the prompts are folded the same way before matching:
  NFKC (fullwidth ｌａｖａ, ligatures, circled and styled letters become plain); invisible characters removed
  (format characters such as zero-width spaces and joiners, bidi marks and soft hyphens, and the blank letters
  and symbols that pass for nothing: Hangul fillers, the braille blank: "la\u200bva" and "la\u3164va" are "lava");
  combining marks (accents) dropped; every other character that looks like a letter taken for that letter by
  Unicode's confusables (UTS #39: Greek "ΝUDE", Armenian "ս", Latin "ɑ", Cyrillic "а", small capitals "ʟᴀᴠᴀ"), see
  skeleton.py; and case-folded.
A term then matches where no letter touches it ("lava" is caught in "__lava__" and "lava2", not in "lavatory"); the
words of a phrase may be separated by any spaces, punctuation or underscores. A term in a script written without
spaces (Chinese, Japanese) matches anywhere, since such text has no word boundaries to find.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from bot.i18n import _

from .skeleton import INVISIBLE, prototype

__all__ = ["TERM_MAX", "Blocklist", "fold"]

TERM_MAX = 100
_UNSEEN = ("Mn", "Me", "Cf")  # combining marks and format characters: dropped


def _is_spaceless(char: str) -> bool:
    """A character of a script written without spaces between words (CJK ideographs, kana, Hangul…)."""
    name = unicodedata.name(char, "")
    return name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR"))


def _visible(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) not in _UNSEEN and c not in INVISIBLE)


def fold(text: str) -> str:
    """The form both terms and prompts are compared in (see the module's docstring)."""
    text = _visible(unicodedata.normalize("NFKC", text))
    for _pass in range(2):  # a prototype's case-folded form may have a prototype of its own (Ν → N → n)
        text = _visible("".join(prototype(c) for c in text)).casefold()
    return unicodedata.normalize("NFKC", text)


_LETTER = r"[^\W\d_]"  # a letter (of any script): what a word boundary is made of here


def _pattern(term: str) -> str | None:
    words = re.findall(r"[^\W_]+", fold(term))
    if not words:
        return None
    body = r"[\W_]+".join(re.escape(w) for w in words)
    if any(_is_spaceless(c) for c in "".join(words)):
        return body
    return rf"(?<!{_LETTER}){body}(?!{_LETTER})"


class Blocklist:
    """One server's terms, compiled once into a single expression."""

    def __init__(self, terms: Iterable[str] = ()) -> None:
        self.terms = sorted(set(terms), key=lambda t: (-len(t), t))
        patterns = [(t, p) for t in self.terms if (p := _pattern(t))]
        self._by_group = [t for t, _ in patterns]
        self._regex = re.compile("|".join(f"({p})" for _, p in patterns)) if patterns else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def match(self, text: str) -> str | None:
        """The term (as the admin wrote it) found in `text`, or None."""
        if self._regex is None:
            return None
        found = self._regex.search(fold(text))
        if found is None:
            return None
        return self._by_group[found.lastindex - 1 if found.lastindex else 0]

    @staticmethod
    def check_term(term: str) -> str:
        """The term as it will be stored, or ValueError with a sentence for the admin."""
        cleaned = " ".join(term.split())
        if not cleaned or len(cleaned) > TERM_MAX:
            raise ValueError(_("A blocked term is 1 to {n} characters.").format(n=TERM_MAX))
        if _pattern(cleaned) is None:
            raise ValueError(_("A blocked term needs at least one letter or digit."))
        return cleaned
