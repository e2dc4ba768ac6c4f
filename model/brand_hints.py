"""Abbreviations that name a brand only beside a word of its goods: "khóa CC" (Chanel), "kính R.B" (Ray-Ban).

The table is data (``lexicon/brand_hints.json``, see ``lexicon/FORMAT.md``): each brand's abbreviations, which the
seller may write with dots, hyphens or nothing between the letters, and the context words, one of which must stand
among the ``HINT_WINDOW_WORDS`` words before the abbreviation. "cc" alone ("xe 110 cc") is no brand.

Linear in the text: one scan for the abbreviations (an Aho–Corasick automaton), a window of fixed size looked at
for each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from model.brands import load_brand_index
from model.folding import fold_diacritics
from model.patterns import WordMatcher

HINTS_FILE = Path(__file__).with_name("lexicon") / "brand_hints.json"
# an abbreviation is a brand only after a context word among this many words before it
HINT_WINDOW_WORDS = 3
# what may stand right before and after an abbreviation for it to be a word of its own
_OPENING = " \"'([{<"
_CLOSING = " \"')]}>,;:.!?"
_PUNCTUATION = "\"'()[]{}<>,;:.!?-_*"
# (start, end, as written, brand, how) of a span of the folded text to be spelled as the brand
Span = tuple[int, int, str, str, str]


@dataclass(frozen=True)
class BrandHints:
    """Abbreviation as written (every separator variant) -> (canonical brand, its folded context words)."""

    abbreviations: dict[str, tuple[str, frozenset[str]]]


def _fold(text: str) -> str:
    return " ".join(fold_diacritics(text.lower()).split())


@cache
def load_brand_hints(path: Path = HINTS_FILE) -> BrandHints:
    """The hint table from ``brand_hints.json`` (empty if absent); a hint naming an unknown brand is an error."""
    if not path.is_file():
        return BrandHints(abbreviations={})
    known = set(load_brand_index().kinds)
    table: dict[str, tuple[str, frozenset[str]]] = {}
    for entry in json.loads(path.read_text(encoding="utf-8"))["hints"]:
        if entry["brand"] not in known:
            raise ValueError(f"{path.name}: hint brand {entry['brand']!r} is not a name in brands.json")
        context = frozenset(_fold(word) for word in entry["context"])
        for abbreviation in entry["abbreviations"]:
            letters = _fold(abbreviation).replace(" ", "")
            for joiner in ("", ".", "-"):
                table[joiner.join(letters)] = (entry["brand"], context)
    return BrandHints(abbreviations=table)


@cache
def _hint_matcher() -> WordMatcher:
    return WordMatcher.build(load_brand_hints().abbreviations)


def hinted_spans(text: str) -> list[Span]:
    """Abbreviations standing as a word after a context word of their brand ("khoa cc", "kinh r.b"), in order."""
    exact = load_brand_index().exact
    spans: list[Span] = []
    for first, last, abbreviation, (brand, context) in _hint_matcher().find(text):
        if abbreviation in exact or (first and text[first - 1] not in _OPENING):
            continue
        if last < len(text) and text[last] not in _CLOSING:
            continue
        low = max(0, first - 16 * HINT_WINDOW_WORDS)
        words = text[low:first].split()
        if low > 0 and text[low - 1] != " ":
            words = words[1:]  # cut by the window: not a whole word
        window = [word.strip(_PUNCTUATION) for word in words[-HINT_WINDOW_WORDS:]]
        if any(word in context for word in (*window, *(f"{a} {b}" for a, b in pairwise(window)))):
            spans.append((first, last, abbreviation, brand, "hint"))
    return spans
