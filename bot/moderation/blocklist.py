"""A server's blocked words and phrases, and the folding that makes disguised spellings match. No Discord here.

Both the terms and the prompts are folded the same way before matching:
  NFKC (fullwidth ｌａｖａ, ligatures, circled and styled letters become plain), case-folded, accents and
  other combining marks dropped, invisible format characters removed (zero-width spaces and joiners,
  bidi marks, soft hyphens: "la\u200bva" is "lava"), and the common Latin look-alikes of other scripts
  (Cyrillic а е о р с х…, Greek ο α ν…) mapped to the Latin letters they imitate.
A term then matches on word boundaries ("lava" is caught, "lavatory" is not); the words of a phrase may be
separated by any spaces or punctuation. A term in a script written without spaces (Chinese, Japanese)
matches anywhere, since such text has no word boundaries to find.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from bot.i18n import _

__all__ = ["TERM_MAX", "Blocklist", "fold"]

TERM_MAX = 100

# Letters of other scripts that look like Latin ones, after case-folding (so only the lowercase forms).
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
        "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q",
        "ԝ": "w", "ӏ": "l", "ү": "y", "ɡ": "g",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
        # Latin letters that pass for others
        "ı": "i", "ȷ": "j", "ℓ": "l",
    }
)  # fmt: skip


def _is_spaceless(char: str) -> bool:
    """A character of a script written without spaces between words (CJK ideographs, kana, Hangul…)."""
    name = unicodedata.name(char, "")
    return name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR"))


def fold(text: str) -> str:
    """The form both terms and prompts are compared in (see the module's docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Me", "Cf"))
    return unicodedata.normalize("NFKC", kept).translate(_LOOKALIKES)


def _pattern(term: str) -> str | None:
    words = re.findall(r"\w+", fold(term))
    if not words:
        return None
    body = r"\W+".join(re.escape(w) for w in words)
    if any(_is_spaceless(c) for c in "".join(words)):
        return body
    return rf"(?<!\w){body}(?!\w)"


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
