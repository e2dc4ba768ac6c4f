"""Condition of the goods as the listing states it: used (and with a receipt), claimed new, or unknown.

Phrases come from ``words.json`` and are matched as whole words on the normalised (accented) text, so "cũ"
(used) is not "củ" (slang for a million đồng). Used wins over new when a text says both ("mới 99%").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from model.market.phrases import PhraseIndex, tokenize
from model.market.words import load_words

State = Literal["used", "new", "unknown"]


@dataclass(frozen=True)
class Condition:
    """What a listing says about its goods' condition."""

    state: State = "unknown"
    receipt: bool = False  # a receipt or invoice is offered ("fullbox có bill")


@cache
def _index() -> PhraseIndex[str]:
    words = load_words()["condition"]
    return PhraseIndex.build((phrase, group) for group in ("used", "receipt", "new") for phrase in words[group])


@cache
def _negations() -> frozenset[str]:
    return frozenset(load_words()["condition"]["negation"])


def read_condition(normalized: str) -> Condition:
    """The condition stated in normalised (lower-case, accented or not) text; negated phrases do not count."""
    tokens = tokenize(normalized)
    negations = _negations()
    groups = {group for start, _end, group in _index().find(tokens) if start == 0 or tokens[start - 1] not in negations}
    state: State = "used" if "used" in groups else "new" if "new" in groups else "unknown"
    return Condition(state=state, receipt="receipt" in groups)
