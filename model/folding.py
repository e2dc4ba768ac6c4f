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
_NON_ASCII_BYTES = bytes(range(128, 256))
# In UTF-8 the byte 0xCC begins the characters U+0300 to U+033F and nothing else (it is no continuation byte):
# combining marks all, and among them every mark Vietnamese letters decompose into.
_MARK_LEAD = b"\xcc"


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
    """NFD, combining marks removed, "đ" as "d", NFC again; in C passes without the regex when the text is
    Vietnamese and ASCII only.

    Once decomposed, a Vietnamese text is ASCII letters and marks of U+0300 to U+033F. When every character beyond
    ASCII is such a mark, removing the marks is removing every non-ASCII character (one ``bytes.translate`` of the
    UTF-8, where the regex substitution builds a piece of text per mark), and what is left is ASCII, its own NFC.
    The test counts: each of those marks is one 0xCC byte in UTF-8, so the text is of that kind exactly when it has
    as many characters beyond ASCII as 0xCC bytes. Any other text (emoji, other marks, other scripts, lone
    surrogates) takes the definition's own steps. ``reference_fold`` in ``tests/model/reading_references.py`` is
    the definition alone; the two are compared on arbitrary strings.
    """
    decomposed = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    encoded = decomposed.encode("utf-8", "surrogatepass")
    ascii_only = encoded.translate(None, _NON_ASCII_BYTES)
    if len(decomposed) - len(ascii_only) == encoded.count(_MARK_LEAD):
        return ascii_only.decode("ascii")
    return nfc(_COMBINING.sub("", decomposed))
