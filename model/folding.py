"""Unicode forms of Vietnamese text, the one place they are made: NFC (every text at the boundary) and the
diacritic-folded form that lets undiacritised posts ("bong cuoi") meet accented ones ("bóng cười").

A leaf module (it imports nothing of Soi), so the readers that fold (``model.text``, ``model.brands``,
``model.lexicon``, the market and serving code) import it without importing each other.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining marks (the Unicode blocks of combining diacritics); Vietnamese uses the first.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Folded texts of at most this many characters are kept (at most FOLD_CACHE_SIZE of them, ~1 MB at worst).
FOLD_CACHE_CHARS = 300
FOLD_CACHE_SIZE = 1024


def nfc(text: str) -> str:
    """The text in Unicode NFC: composed, so that one word has one encoding."""
    return unicodedata.normalize("NFC", text)


def fold_diacritics(text: str) -> str:
    """Remove Vietnamese tone and vowel marks ("bóng cười" -> "bong cuoi", "đ" -> "d")."""
    if text.isascii():
        return text
    # short texts (titles, brand names, words) are folded again and again by the readers: remembered
    return _fold_short(text) if len(text) <= FOLD_CACHE_CHARS else _fold(text)


@lru_cache(maxsize=FOLD_CACHE_SIZE)
def _fold_short(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    stripped = _COMBINING.sub("", unicodedata.normalize("NFD", text))
    return nfc(stripped.replace("đ", "d").replace("Đ", "D"))
