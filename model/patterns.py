"""Word lists matched whole in one pass: lexicon terms, innocent phrases, teencode, brand abbreviations; and which
of a few lists of strings occur in a text at all (``Substrings``), before the regexes that need one of them.

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
        for start, (length, word, value) in _not_overlapping(longest):
            yield start, start + length, word, value

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


def _not_overlapping(longest: dict[int, tuple[int, str, Any]]) -> Iterator[tuple[int, tuple[int, str, Any]]]:
    """(start, entry) of the words to keep, left to right: each word found whole that starts after the last kept."""
    reached = 0
    for start in sorted(longest):
        if start >= reached:
            entry = longest[start]
            reached = start + entry[0]
            yield start, entry


@dataclass(frozen=True)
class WordMatchers:
    """Several ``WordMatcher`` lists found in one Aho–Corasick pass: a pass costs about as much as a scan of the
    text, however few words it finds, so lists read from the same text are best found together."""

    matchers: dict[str, WordMatcher]  # each list on its own: what ``find`` finds for it is what its ``find`` finds
    automaton: ahocorasick.Automaton | None  # word -> (its length, the word, {list name: its value there})

    @classmethod
    def build(cls, matchers: dict[str, WordMatcher]) -> WordMatchers:
        """The lists of ``matchers`` (by name) in one automaton."""
        values: dict[str, dict[str, Any]] = {}
        for name, matcher in matchers.items():
            if matcher.automaton is not None:
                for word, (_length, _word, value) in matcher.automaton.items():
                    values.setdefault(word, {})[name] = value
        automaton = None
        if values:
            automaton = ahocorasick.Automaton()
            for word, by_list in values.items():
                automaton.add_word(word, (len(word), word, by_list))
            automaton.make_automaton()
        return cls(matchers=matchers, automaton=automaton)

    def find(self, text: str) -> dict[str, list[tuple[int, int, str, Any]]]:
        """What ``matcher.find(text)`` finds, as a list, for each list's name (``WordMatcher.find``, for each list)."""
        found: dict[str, list[tuple[int, int, str, Any]]] = {name: [] for name in self.matchers}
        if self.automaton is None:
            return found
        longest: dict[str, dict[int, tuple[int, str, dict[str, Any]]]] = {}  # only the lists with a word found
        size = len(text)
        for last, entry in self.automaton.iter(text):
            length = entry[0]
            start, end = last + 1 - length, last + 1
            if start and ((before := text[start - 1]).isalnum() or before == "_"):  # as in ``WordMatcher.find``
                continue
            if end < size and ((after := text[end]).isalnum() or after == "_"):
                continue
            for name in entry[2]:
                kept = longest.setdefault(name, {})
                if start not in kept or length > kept[start][0]:
                    kept[start] = entry
        for name, kept in longest.items():
            found[name] = [
                (start, start + n, word, values[name]) for start, (n, word, values) in _not_overlapping(kept)
            ]
        return found


@dataclass(frozen=True)
class Substrings:
    """Which of a few named lists of strings occur in a text, anywhere (inside words too), in one Aho–Corasick pass.

    ``present(text)`` holds a list's name exactly when ``any(string in text for string in strings)``: one pass in C
    where that is a scan of the text per string (most texts hold none, so all of them are scanned to the end).
    """

    automaton: ahocorasick.Automaton | None  # string -> the names of the lists it is in; None: no strings
    names: frozenset[str]  # the lists that hold a string

    @classmethod
    def build(cls, lists: dict[str, Iterable[str]]) -> Substrings:
        """A scan for each named list of strings (the empty string is left out: ``"" in text`` tells nothing)."""
        owners: dict[str, set[str]] = {}
        for name, strings in lists.items():
            for string in strings:
                if string:
                    owners.setdefault(string, set()).add(name)
        if not owners:
            return cls(automaton=None, names=frozenset())
        automaton = ahocorasick.Automaton()
        for string, names in owners.items():
            automaton.add_word(string, frozenset(names))
        automaton.make_automaton()
        return cls(automaton=automaton, names=frozenset().union(*owners.values()))

    def present(self, text: str) -> set[str]:
        """The names of the lists with a string in ``text`` (the pass stops once every list is found)."""
        found: set[str] = set()
        if self.automaton is None:
            return found
        for _last, names in self.automaton.iter(text):
            found |= names
            if len(found) == len(self.names):
                break
        return found
