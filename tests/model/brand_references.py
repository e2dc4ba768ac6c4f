"""Folding and brand reading as they were before issue 15 made them faster, kept as their specification
(``test_brand_reading_equivalence.py``, and ``test_reading_equivalence.py`` through ``use_references``): folding by
its definition alone (NFD, marks removed, NFC), brands looked up word by word and pair by pair, and brands written
evasively found without the caches of their cores and pairs."""

from __future__ import annotations

import heapq
import unicodedata
from itertools import pairwise
from typing import Any

import pytest

import model.brand_evasion
import model.brands
import model.folding
from model.brands import load_brand_index


def reference_fold(text: str) -> str:
    """Tone marks folded by the definition alone: NFD, every combining mark removed, "đ" as "d", NFC."""
    stripped = model.folding._COMBINING.sub("", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


def reference_find_brands(folded_text: str) -> list[tuple[str, str]]:
    """``find_brands`` by the regex's tokens and a Python test of every distinct pair and word (the old way)."""
    tokens = model.brands._TOKEN.findall(folded_text)
    one, two = model.brands._initials()
    pairs = {}
    for first, second in set(pairwise(tokens)):
        if (first[0], second[0]) in two and (canonical := model.brands.match_brand(f"{first} {second}")):
            pairs[(first, second)] = canonical
    found: dict[tuple[str, str], None] = {}
    used: set[int] = set()
    for i in range(len(tokens) - 1) if pairs else ():
        canonical = pairs.get((tokens[i], tokens[i + 1]))
        if canonical:
            if not model.brands._add_found(found, f"{tokens[i]} {tokens[i + 1]}", canonical):
                return list(found)
            used.update((i, i + 1))
    exact = load_brand_index().exact
    singles = {}
    for token in dict.fromkeys(tokens):
        if (token in exact or (len(token) >= 6 and token[0] in one)) and (canonical := model.brands.match_brand(token)):
            singles[token] = canonical
    for i, token in enumerate(tokens if singles else ()):
        canonical = None if i in used else singles.get(token)
        if canonical and not model.brands._add_found(found, token, canonical):
            break
    return list(found)


def reference_spelled_spans(text: str) -> list[Any]:
    """``_spelled_spans`` reading every mixed word's core afresh and looking for both neighbours of every evasive
    word (the old way)."""
    evasion = model.brand_evasion
    spans: list[Any] = []
    reached = 0
    for start, end in evasion._mixed_words(text):
        before, core, _after = evasion._core(text[start:end])
        first, last = start + len(before), start + len(before) + len(core)
        if not core or first < reached or not evasion._is_evasive_word(core):
            continue
        span = None
        previous = evasion._neighbour(text, first, last, after=False)
        if previous and previous[0] >= reached and (brand := evasion._brand_of_pair(previous[2], core)):
            span = (previous[0], last, f"{previous[2]} {core}", brand)
        following = None if span else evasion._neighbour(text, first, last, after=True)
        if following and (brand := evasion._brand_of_pair(core, following[2])):
            span = (first, following[1], f"{core} {following[2]}", brand)
        if span is None and (brand := evasion._brand_of_word(core)):
            span = (first, last, core, brand)
        if span is not None:
            spans.append((*span, "symbols"))
            reached = span[1]
    return spans


def reference_reveal_brands(folded_text: str) -> tuple[str, list[Any]]:
    """``reveal_brands`` merging the two lists of spans always (the old way)."""
    evasion = model.brand_evasion
    spans = list(heapq.merge(evasion._spelled_spans(folded_text), evasion.hinted_spans(folded_text)))
    if not spans:
        return folded_text, []
    found: dict[str, Any] = {}
    out: list[str] = []
    done = 0
    for first, last, written, brand, how in spans:
        if first < done or (written not in found and len(found) >= model.brands.MAX_BRANDS_FOUND):
            continue
        found.setdefault(written, evasion.EvasiveBrand(written=written, canonical=brand, how=how))
        out += (folded_text[done:first], evasion._fold(brand))
        done = last
    out.append(folded_text[done:])
    return "".join(out), list(found.values())


def use_brand_and_folding_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the old folding and brand reading back (``use_references`` does this too)."""
    monkeypatch.setattr(model.folding, "_fold", reference_fold)
    monkeypatch.setattr(model.folding, "_fold_short", reference_fold)  # folding without its cache
    monkeypatch.setattr(model.brands, "find_brands", reference_find_brands)
    monkeypatch.setattr(model.brand_evasion, "_spelled_spans", reference_spelled_spans)
    monkeypatch.setattr(model.brand_evasion, "reveal_brands", reference_reveal_brands)
