"""Hostile text: the strings a seller (or an attacker with a crawler key) writes to slow down or break a scanner.

Each family builds a string of about ``n`` characters from a pathological pattern: long digit runs, separators,
repeated letters, letters alternating with separators or digits, emoji floods, zalgo (stacked combining marks),
mixed scripts, markup and long URLs, price units ("1k1k1k…", "1tr1tr…"), phone-like runs, contact and bank
words, every lexicon term at once, a flood of distinct brand misspellings, words that never repeat. The
linear-time tests read each family at sizes n and 4n (``tests/model/test_linear_time.py``), the hostile API
suite sends them in every field (``tests/serving/test_hostile.py``) and ``make bench-hostile`` reports the slowest
one per kilobyte. Deterministic: the same family and size always give the same string.
"""

from __future__ import annotations

import dataclasses
import random
import string
import time
from collections.abc import Callable, Sequence
from typing import Any

from model.brands import load_brand_index
from model.deobfuscation import load_teencode
from model.lexicon import load_lexicon
from model.limits import FEATURE_DESCRIPTION_CHARS
from model.predictor import Predictor
from model.schema import Listing, Score


def _repeat(unit: str, n: int) -> str:
    """``unit`` repeated to exactly ``n`` characters."""
    return (unit * (n // max(len(unit), 1) + 1))[:n]


def _lexicon_terms(n: int) -> str:
    lexicon = load_lexicon()
    terms = [term for category in lexicon.categories for term in (*category.terms, *category.code_words)]
    innocent = [phrase for category in lexicon.categories for phrase in category.innocent]
    emoji = [symbol for category in lexicon.categories for symbol in category.emoji]
    return _repeat(" ".join(terms + innocent + emoji) + " ", n)


def _brand_misspellings(n: int) -> str:
    # every brand spelling with one letter changed or added: thousands of distinct near-misses
    spellings = sorted(load_brand_index().exact)
    words = (
        f"{spelling[:i]}{letter}{spelling[i + 1 :]}"
        for spelling in spellings
        for i in range(len(spelling))
        for letter in "xz"
    )
    out: list[str] = []
    size = 0
    for word in words:
        if size >= n:
            break
        out.append(word)
        size += len(word) + 1
    return _repeat(" ".join(out) + " ", n)


def unique_words(n: int, *, length: int = 8, seed: int = 0) -> str:
    """About ``n`` characters of words that never repeat (a different text for every seed): what fills caches."""
    rng = random.Random(seed * 1_000_003 + n * 31 + length)
    letters = string.ascii_lowercase + "ăâđêôơư"
    words = []
    size = 0
    while size < n:
        words.append("".join(rng.choice(letters) for _ in range(length)))
        size += length + 1
    return " ".join(words)[:n]


def _teencode(n: int) -> str:
    return _repeat(" ".join(load_teencode()) + " ", n)


# name -> builder of a string of about n characters
FAMILIES: dict[str, Callable[[int], str]] = {
    "digits": lambda n: "1" * n,
    "digits_and_spaces": lambda n: _repeat("1" * 50 + " ", n),
    "digit_groups": lambda n: "1" + _repeat(".000", n - 1),
    "digits_and_dots": lambda n: _repeat("1.", n),
    "digits_and_commas": lambda n: _repeat("1,5", n),
    "fullwidth_digits": lambda n: _repeat("１２３", n),
    "arabic_indic_digits": lambda n: _repeat("١٢٣", n),
    "units_k": lambda n: _repeat("1k", n),
    "units_tr": lambda n: _repeat("1tr", n),
    "units_mixed": lambda n: _repeat("1tr2 3k5 1.5 triệu 200 nghìn 1.000.000đ ", n),
    "phone_like": lambda n: _repeat("0912 345 678 ", n),
    "phone_masked": lambda n: _repeat("09xx.xxx.xx", n),
    "phone_plus": lambda n: _repeat("+84", n),
    "separators": lambda n: _repeat(".-_*•·", n),
    "dotted_letters": lambda n: _repeat("a.", n),
    "underscored_letters": lambda n: _repeat("a_", n - 1) + "b",
    "spaced_letters": lambda n: _repeat("a ", n),
    "repeated_letter": lambda n: "a" * n,
    "repeated_vietnamese_letter": lambda n: "ệ" * n,
    "letters_and_digits": lambda n: _repeat("a1", n),
    "leet_run": lambda n: "a" + "4" * (n - 2) + "b",
    "leet_words": lambda n: _repeat("c4n s4 b0ng cu0i ", n),
    "emoji_flood": lambda n: _repeat("😀", n),
    "lexicon_emoji": lambda n: _repeat("🎈💨🚬💊", n),
    "zalgo": lambda n: _repeat("a\u0301\u0323\u0302\u0303\u0309", n),
    "mixed_scripts": lambda n: _repeat("aбвгд中文ไทย١٢٣עב", n),
    "invisible_characters": lambda n: _repeat("b\u200bo\u200dn\u2060g\u202e\u00a0", n),
    "control_characters": lambda n: _repeat("\x01\x02\x1b[31m\x7f", n),
    "whitespace": lambda n: _repeat(" \t\n\r\f\v", n),
    "markup_open": lambda n: "<" * n,
    "markup_tags": lambda n: _repeat("<b>", n),
    "markup_unclosed": lambda n: _repeat("<a href='", n),
    "entities": lambda n: _repeat("&amp;", n),
    "nested_entities": lambda n: _repeat("&amp;amp;lt;", n),
    "numeric_entities": lambda n: _repeat("&#1234;&#x41;", n),
    "long_url": lambda n: "https://" + "a" * (n - 8),
    "url_flood": lambda n: _repeat("www.", n),
    "handles": lambda n: _repeat("zalo: @abc ", n),
    "at_signs": lambda n: "@" * n,
    "bank_words": lambda n: _repeat("stk ", n),
    "bank_numbers": lambda n: _repeat("stk: 0123 4567 89 ", n),
    "teencode": _teencode,
    "lexicon_terms": _lexicon_terms,
    "brand_misspellings": _brand_misspellings,
    "kitchen_sink": lambda n: _repeat(
        "stk: 0912 345 678 zalo @ab_c 1k5 2tr3 c4n b.o.n.g g u c c i ko sp rolexx <b>&amp; 😀 xịnnnn ", n
    ),
    "long_token": lambda n: unique_words(n, length=n),
    "unique_words": lambda n: unique_words(n, length=8),
}


def hostile_text(family: str, n: int) -> str:
    """The family's string of about ``n`` characters."""
    return FAMILIES[family](n)


# What the model reads of a listing, at the service's default limits (serving/settings.py and model/schema.py): the
# title, brand, category and the first FEATURE_DESCRIPTION_CHARS of the description (the default text config).
READ_FIELDS_AT_LIMITS = {"title": 1_000, "brand": 200, "category": 500, "description": FEATURE_DESCRIPTION_CHARS}


def hostile_listing(family: str, index: int = 0) -> dict[str, Any]:
    """A listing (as the crawler sends it) whose text fields are the family's string at the largest size the model
    reads within the default limits, and whose other fields are at their limits too: the costliest legal read."""
    listing: dict[str, Any] = {name: hostile_text(family, size) for name, size in READ_FIELDS_AT_LIMITS.items()}
    listing.update(
        id=f"hostile-{family}-{index}",
        platform="shopee",
        ships_from=hostile_text(family, 200),
        seller={"name": hostile_text(family, 256), "location": hostile_text(family, 256), "follower_count": 2**63 - 1},
        price=1e12,
        sold_count=2**63 - 1,
    )
    return listing


def explaining_everything(predictor: Predictor) -> Predictor:
    """The same model with every threshold at 0: every label is flagged and explained, the costliest reading."""
    return dataclasses.replace(predictor, thresholds=dict.fromkeys(predictor.labels, 0.0))


def reading_cpu_ms(predictor: Predictor, listings: Sequence[Listing], *, repeats: int = 3) -> float:
    """Fewest CPU milliseconds (``process_time``, not wall time) of ``repeats`` full readings of ``listings``:
    views, features, scorers, reasons. The fewest, because other work can only add time, never remove it."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        scores: list[Score] = predictor.score(listings)
        best = min(best, (time.process_time() - started) * 1000)
        assert len(scores) == len(listings)
    return best
