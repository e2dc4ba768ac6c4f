"""Whole-word phrase lookup in linear time: one Aho–Corasick automaton per word list, run over the words of a text.

Used for condition phrases, accessory words and product aliases: no regex per phrase, no scan per phrase. The
words of a text are joined by single spaces and the automaton (``pyahocorasick``, in C) reads that line once,
whatever the number of phrases; a phrase is stored with a space on either side, so it can only match whole
words. Most texts hold no phrase at all, and then no Python runs per word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, count
from typing import Generic, TypeVar

import ahocorasick

T = TypeVar("T")
# a word: letters and digits, a trailing "%" kept ("99%", "100%")
_TOKEN = re.compile(r"[^\W_]+%?")


# Texts tokenised lately: a listing's text is read by several of these readers (condition, partial price), and
# a title by the matcher and the price check. A handful of entries: one listing's texts are read one after another.
TOKEN_CACHE_SIZE = 16


@lru_cache(maxsize=TOKEN_CACHE_SIZE)
def tokenize(text: str) -> tuple[str, ...]:
    """The words of a (lower-case) text, in order."""
    return tuple(_TOKEN.findall(text))


@dataclass(frozen=True)
class PhraseIndex(Generic[T]):
    """Token tuples -> a value; ``automaton`` finds them all in a text."""

    phrases: dict[tuple[str, ...], T]
    automaton: ahocorasick.Automaton | None  # " word word " -> (words, characters, value); None: no phrases

    @classmethod
    def build(cls, pairs: Iterable[tuple[str, T]]) -> PhraseIndex[T]:
        """An index of (phrase, value) pairs; a phrase seen twice keeps its first value."""
        phrases: dict[tuple[str, ...], T] = {}
        for phrase, value in pairs:
            key = tokenize(phrase.lower())
            if key:
                phrases.setdefault(key, value)
        automaton = None
        if phrases:
            automaton = ahocorasick.Automaton()
            for key, value in phrases.items():
                line = f" {' '.join(key)} "
                automaton.add_word(line, (len(key), len(line), value))
            automaton.make_automaton()
        return cls(phrases=phrases, automaton=automaton)

    def find(self, tokens: Sequence[str]) -> Iterator[tuple[int, int, T]]:
        """(start, end, value) of the longest phrase starting at each token position, left to right."""
        if self.automaton is None or not tokens:
            return
        line = f" {' '.join(tokens)} "
        longest: dict[int, tuple[int, T]] = {}  # first word of a phrase found -> (its words, its value)
        word_at: dict[int, int] = {}  # offset of the space before each word -> the word's index, once needed
        for last, (words, characters, value) in self.automaton.iter(line):
            if not word_at:
                word_at = dict(zip(accumulate(map((1).__add__, map(len, tokens)), initial=0), count()))
            start = word_at[last - characters + 1]
            if words > longest.get(start, (0, value))[0]:
                longest[start] = (words, value)
        for start in sorted(longest):
            words, value = longest[start]
            yield start, start + words, value
