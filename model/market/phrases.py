"""Whole-word phrase lookup in linear time: a dictionary of token n-grams, looked up at each token position.

Used for condition phrases, accessory words and product aliases: no regex per phrase, no scan per phrase. The
cost is (number of tokens) x (longest phrase in tokens) at most, and the longest phrase is bounded by the data;
most words start no phrase and cost one dictionary lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
# a word: letters and digits, a trailing "%" kept ("99%", "100%")
_TOKEN = re.compile(r"[^\W_]+%?")


def tokenize(text: str) -> list[str]:
    """The words of a (lower-case) text, in order."""
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class PhraseIndex(Generic[T]):
    """Token tuples -> a value; ``longest`` is the most tokens any phrase has."""

    phrases: dict[tuple[str, ...], T]
    longest: int
    first_words: dict[str, int]  # first word of a phrase -> the most tokens a phrase starting with it has

    @classmethod
    def build(cls, pairs: Iterable[tuple[str, T]]) -> PhraseIndex[T]:
        """An index of (phrase, value) pairs; a phrase seen twice keeps its first value."""
        phrases: dict[tuple[str, ...], T] = {}
        for phrase, value in pairs:
            key = tuple(tokenize(phrase.lower()))
            if key:
                phrases.setdefault(key, value)
        first_words: dict[str, int] = {}
        for key in phrases:
            first_words[key[0]] = max(first_words.get(key[0], 0), len(key))
        return cls(phrases=phrases, longest=max((len(key) for key in phrases), default=0), first_words=first_words)

    def find(self, tokens: list[str]) -> Iterator[tuple[int, int, T]]:
        """(start, end, value) of the longest phrase starting at each token position, left to right."""
        first_words = self.first_words
        for start, token in enumerate(tokens):
            longest = first_words.get(token)
            if longest is None:  # most words start no phrase: one set lookup
                continue
            for end in range(min(len(tokens), start + longest), start, -1):
                value = self.phrases.get(tuple(tokens[start:end]))
                if value is not None:
                    yield start, end, value
                    break
