"""Word lists matched whole in one pass: lexicon terms, innocent phrases, teencode, brand abbreviations.

``WordMatcher`` runs one Aho–Corasick automaton (``pyahocorasick``, in C) over the text: one pass whatever the
number of words, linear in the text, and Python only for the few places where a word occurs as a substring (a
regex trie of the same words tries every position of the text in turn: three times slower on listings).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import ahocorasick


@dataclass(frozen=True)
class WordMatcher:
    """Any of many words, found whole in one Aho–Corasick pass; each word carries a value.

    ``find`` finds what the regex ``(?<!\\w)(word|word|...)(?!\\w)``, longest words first, finds, in the same order:
    at the first place where some word stands whole (no word character either side), the longest such word, then on
    after it. (The trie regex this replaced is the reference in ``tests/model/test_reading_equivalence.py``.)
    """

    automaton: ahocorasick.Automaton | None  # word -> (its length, the word, its value); None: no words

    @classmethod
    def build(cls, words: Iterable[str] | dict[str, Any]) -> WordMatcher:
        """A matcher of ``words``; a dict's values come back with each word found (else the value is None)."""
        values = words if isinstance(words, dict) else dict.fromkeys(words)
        automaton = None
        if any(values):
            automaton = ahocorasick.Automaton()
            for word, value in values.items():
                if word:
                    automaton.add_word(word, (len(word), word, value))
            automaton.make_automaton()
        return cls(automaton=automaton)

    def find(self, text: str) -> Iterator[tuple[int, int, str, Any]]:
        """(start, end, word, value) of each whole word found, left to right, not overlapping.

        Yielded one at a time, and the longest word at each place is kept as the automaton's own entry: a text with
        a hundred thousand words found leaves no objects behind for the garbage collector to walk again and again.
        """
        if self.automaton is None:
            return
        longest: dict[int, tuple[int, str, Any]] = {}  # start -> the longest whole word starting there
        size = len(text)
        for last, entry in self.automaton.iter(text):
            length = entry[0]
            start, end = last + 1 - length, last + 1
            # inside a longer word: a word character ("\\w": ``isalnum`` or "_") before or after (tested inline: most
            # places a short word occurs are inside longer ones)
            if start and ((before := text[start - 1]).isalnum() or before == "_"):
                continue
            if end < size and ((after := text[end]).isalnum() or after == "_"):
                continue
            if start not in longest or length > longest[start][0]:
                longest[start] = entry
        reached = 0
        for start in sorted(longest):
            if start >= reached:
                length, word, value = longest[start]
                reached = start + length
                yield start, reached, word, value

    def replace(self, text: str) -> str:
        """``text`` with each word ``find`` finds replaced by its value (a string)."""
        parts = []
        done = 0
        for start, end, _word, value in self.find(text):
            parts += (text[done:start], value)
            done = end
        if not parts:
            return text
        parts.append(text[done:])
        return "".join(parts)
