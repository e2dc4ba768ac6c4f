"""Variants and quantities read from folded listing text, so that a price is compared per unit.

A variant is what changes the price of one unit: storage (256GB, 1TB), volume (100ml, 0.7l, 70cl), weight (900g,
1.7kg), a pack size (20 điếu) or a case size (42mm). A quantity is how many units the price buys: "2 chai", "x3",
"combo 3", "set 5 món", "lốc 4", "thùng 24 lon", and for cigarettes "cây" (10 bao). Nothing written: 1.

Every pattern is anchored on a digit or a fixed word and its repeats are bounded, so reading is linear in the
text; at most ``MAX_MENTIONS`` mentions are read from one text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from model.market.words import load_words

MAX_MENTIONS = 32
MAX_QUANTITY = 500
_NUMBER = r"(\d{1,4}(?:[.,]\d{1,3})?)"
# a number starts a word, or follows "3x" ("3x20ml": three bottles of 20 ml)
_VARIANT = re.compile(
    rf"(?=\d)(?:(?<![\w.,])|(?<=\dx)){_NUMBER}\s?(tb|gb|ml|cl|lit|lits|l|kg|gram|gr|g|dieu|mm)(?![a-z0-9])"
)
# unit -> (kind, factor to the kind's base unit: GB, ml, g, count, mm)
_UNITS = {
    "tb": ("storage", 1024.0),
    "gb": ("storage", 1.0),
    "ml": ("volume", 1.0),
    "cl": ("volume", 10.0),
    "l": ("volume", 1000.0),
    "lit": ("volume", 1000.0),
    "lits": ("volume", 1000.0),
    "kg": ("weight", 1000.0),
    "g": ("weight", 1.0),
    "gr": ("weight", 1.0),
    "gram": ("weight", 1.0),
    "dieu": ("pack", 1.0),
    "mm": ("size", 1.0),
}
_STORAGE_SIZES = {16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0}
_COMBO = re.compile(r"(?<![a-z0-9])(combo|set|loc|bo)\s?(\d{1,3})(?![\d.,]?\d)(?!\s?(?:ml|g|gb|l|kg)\b)")
_COMBO_WORDS = {"loc": "lốc", "bo": "bộ"}
_TIMES = re.compile(r"(?<![a-z0-9])x(\d{1,2})(?![a-z0-9])")
_CASE = re.compile(r"(?<![a-z0-9])(?:(\d{1,2})\s?)?thung\s?(\d{1,3})(?![\d.,]?\d)")
_CARTON = re.compile(r"(?<![a-z0-9])(?:(\d{1,2})\s?)?cay(?:\s?(\d{1,2})\s?(?:bao|goi))?(?![a-z0-9])")


@dataclass(frozen=True)
class Variant:
    """A price-relevant variant: its kind and its value in the kind's base unit (GB, ml, g, count, mm)."""

    kind: str
    value: float


@dataclass(frozen=True)
class Quantity:
    """How many units a price buys, and how the text said it ("cây 10 bao", "combo 3"); 1 and "" by default."""

    count: int = 1
    note: str = ""


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def read_variants(folded: str) -> tuple[Variant, ...]:
    """Every variant written in folded text, in order, at most ``MAX_MENTIONS``: '256gb' -> storage 256.

    A bare 'g' after a storage size ('256g') is read both as weight and as storage: the product decides.
    """
    found: dict[Variant, None] = {}
    for match in _VARIANT.finditer(folded):
        value, unit = _number(match.group(1)), match.group(2)
        kind, factor = _UNITS[unit]
        if value <= 0:
            continue
        found[Variant(kind, round(value * factor, 3))] = None
        if unit == "g" and value in _STORAGE_SIZES:
            found[Variant("storage", value)] = None
        if len(found) >= MAX_MENTIONS:
            break
    return tuple(found)


def parse_variant(variant: str) -> Variant | None:
    """The variant a catalogue entry names ("256GB", "0.7l", "20 điếu"), or None ("" or a size word)."""
    from model.folding import fold_diacritics

    found = read_variants(fold_diacritics(variant.lower()))
    return found[0] if found else None


@lru_cache(maxsize=64)  # keyed by catalogue units, a bounded set
def _count_pattern(unit: str) -> re.Pattern[str] | None:
    synonyms = load_words()["units"].get(unit)
    if not synonyms:
        return None
    words = "|".join(sorted((re.escape(word) for word in synonyms), key=len, reverse=True))
    return re.compile(rf"(?=\d)(?<![\w.,])(\d{{1,3}})\s?(?:{words})(?![a-z0-9])")


def read_quantity(folded: str, unit: str) -> Quantity:
    """How many ``unit`` (a catalogue unit: "chai", "bao"...) a price in folded text buys; 1 when none is written.

    Counts are "N <unit>", "xN", "combo/set/bộ/lốc N", "thùng N" (times a leading number of thùng), and, for
    cigarettes sold by the "bao", "cây" (10 bao, or as many as written). A count inside a thùng or cây reading
    ("thùng 24 lon") is part of it. When the text writes different counts ("138k một cây, lấy từ 10 cây"), the
    smallest wins: the unit price is then never lower than the text supports (fewer false alarms). At most
    ``MAX_QUANTITY``.
    """
    specific: list[tuple[Quantity, tuple[int, int]]] = []
    if unit == "bao":
        for match in _limited(_CARTON.finditer(folded)):
            cartons, packs = int(match.group(1) or 1), int(match.group(2) or 10)
            specific.append((Quantity(cartons * packs, f"{cartons} cây {cartons * packs} bao"), match.span()))
    for match in _limited(_CASE.finditer(folded)):
        cases, inside = int(match.group(1) or 1), int(match.group(2))
        specific.append((Quantity(cases * inside, f"{cases} thùng {inside} {unit}"), match.span()))
    spans = [span for _quantity, span in specific]
    candidates = [quantity for quantity, _span in specific]
    for pattern, note in _general_patterns(unit):
        for match in _limited(pattern.finditer(folded)):
            start, end = match.span()
            if not any(start < other_end and other_start < end for other_start, other_end in spans):
                candidates.append(note(match))
    candidates = [q for q in candidates if q.count > 1]
    if not candidates:
        return Quantity()
    best = min(candidates, key=lambda q: q.count)
    return Quantity(min(best.count, MAX_QUANTITY), best.note)


def _general_patterns(unit: str) -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], Quantity]]]:
    """The counts that need no context: combo/set/bộ/lốc N, xN, N <unit>."""
    patterns: list[tuple[re.Pattern[str], Callable[[re.Match[str]], Quantity]]] = [
        (_COMBO, lambda m: Quantity(int(m.group(2)), f"{_COMBO_WORDS.get(m.group(1), m.group(1))} {int(m.group(2))}")),
        (_TIMES, lambda m: Quantity(int(m.group(1)), f"x{int(m.group(1))}")),
    ]
    count = _count_pattern(unit)
    if count is not None:
        patterns.append((count, lambda m: Quantity(int(m.group(1)), f"{int(m.group(1))} {unit}")))
    return patterns


def _limited(matches):  # type: ignore[no-untyped-def]
    """The first ``MAX_MENTIONS`` matches of an iterator: a text listing a thousand counts is read on its start."""
    for index, match in enumerate(matches):
        if index >= MAX_MENTIONS:
            return
        yield match
