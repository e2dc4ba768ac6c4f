"""The straightforward implementations the fast reading path replaced, kept as its specification
(``test_reading_equivalence.py``): n-gram rows counted per text with a Counter, whole-word phrase lookup by a
dictionary of token tuples at each position, word lists matched by one trie regex each
(``reference_word_pattern``) where ``WordMatcher`` runs an Aho–Corasick automaton, brand misspellings compared with
every brand spelling of a nearby length, the patterns rewritten for speed as they were (``REFERENCE_PATTERNS``) and
the feature matrix joined by scipy. The text steps, folding and brands, and the price check, features and score loop
keep theirs beside this file (``text_step_references``, ``brand_references``, ``scoring_references``);
``use_references`` puts them all back."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import model.brand_evasion
import model.brands
import model.deobfuscation
import model.folding
import model.identifiers
import model.linear
import model.signals
import model.text
import model.text_views
from model.brands import load_brand_index
from model.market.phrases import PhraseIndex
from model.ngrams import NgramTfidf
from model.patterns import WordMatcher
from model.spelling import allowed_distance, edit_distance, second_initial
from tests.model.brand_references import use_brand_and_folding_references
from tests.model.scoring_references import use_scoring_references
from tests.model.text_step_references import use_text_step_references


def reference_indices(self: NgramTfidf, document: str) -> list[int]:
    """Vocabulary indices of every n-gram of a document, repeated as often as it occurs (the old way)."""
    if self.analyzer == "char_wb":
        indices: list[int] = []
        for word in document.split():
            indices.extend(self._char_indices_of_word(word))
        return indices
    tokens = self.token_pattern.findall(document)
    grams = list(tokens) if self.min_n == 1 else []
    for n in range(max(self.min_n, 2), self.max_n + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return [self.vocabulary[gram] for gram in grams if gram in self.vocabulary]


def reference_transform(self: NgramTfidf, documents: Sequence[str]) -> sp.csr_matrix:
    """TF-IDF rows built one document at a time with a Counter (the old way)."""
    indptr, columns, values = [0], [], []
    for document in documents:
        counts = Counter(reference_indices(self, document))
        columns.extend(counts)
        values.extend(counts.values())
        indptr.append(len(columns))
    column_array = np.asarray(columns, dtype=np.int32)
    data = np.asarray(values, dtype=np.float64)
    if self.sublinear_tf:
        data = np.log(data) + 1.0
    data *= self.idf[column_array]
    matrix = sp.csr_matrix((data, column_array, np.asarray(indptr)), shape=(len(documents), self.n_features))
    if self.norm == "l2":
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        matrix = sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)
    matrix.sort_indices()
    return matrix.astype(self.dtype)


def reference_find(self: PhraseIndex[Any], tokens: Sequence[str]) -> Iterator[tuple[int, int, Any]]:
    """(start, end, value) of the longest phrase starting at each token position (dictionary lookups, the old way)."""
    longest = max(map(len, self.phrases), default=0)
    for start in range(len(tokens)):
        for end in range(min(len(tokens), start + longest), start, -1):
            value = self.phrases.get(tuple(tokens[start:end]))
            if value is not None:
                yield start, end, value
                break


def _trie_regex(trie: dict[str, dict]) -> str:
    """The regex of a character trie: alternatives share their prefixes, so matching does not try each word."""
    end = "" in trie
    branches = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(trie.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and len(branches[0]) == 1 else "(?:" + "|".join(branches) + ")"
    # the optional group is greedy: longer words are tried before the word that ends here
    return body + "?" if end else body


def reference_word_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any of ``words`` whole, the longest first, as group 1: a trie (the old word matcher)."""
    trie: dict[str, dict] = {}
    for word in words:
        if not word:
            continue
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    if not trie:
        return None
    return re.compile(r"(?<!\w)(" + _trie_regex(trie) + r")(?!\w)")


_REFERENCE_MATCHERS: dict[int, tuple[WordMatcher, re.Pattern[str] | None, dict[str, Any]]] = {}


def reference_word_find(self: WordMatcher, text: str) -> list[tuple[int, int, str, Any]]:
    """What ``WordMatcher.find`` finds, by the trie regex of its words (the old way)."""
    if self.automaton is None:
        return []
    if id(self) not in _REFERENCE_MATCHERS:  # the matcher is kept beside its pattern, so its id is not reused
        values = {word: value for word, (_length, _word, value) in self.automaton.items()}
        _REFERENCE_MATCHERS[id(self)] = (self, reference_word_pattern(values), values)
    _matcher, pattern, values = _REFERENCE_MATCHERS[id(self)]
    if pattern is None:
        return []
    return [(m.start(1), m.end(1), m.group(1), values[m.group(1)]) for m in pattern.finditer(text)]


# Patterns rewritten for speed, as they were: the same matches, found more slowly.
REFERENCE_PATTERNS = {
    (model.text, "_REPEAT"): re.compile(r"([^\W\d_])\1{2,}"),
    (model.identifiers, "_PHONE"): re.compile(r"(?<![\w.])(?:\+?84|0)(?:[\s.\-]?[\dx]){9}(?![\w])"),
    (model.deobfuscation, "_SPACED_END"): re.compile(""),  # the scan before "b ó n g" is looked for: always found
}


def reference_strip_markup(text: str) -> str:
    """``strip_markup`` without the scan for "://" and "www." before the URL pattern (the old way)."""
    for _ in range(10):
        decoded = model.text._TAG.sub(" ", html.unescape(text))
        if decoded == text:
            break
        text = decoded
    text = text.replace("&", " & ").replace("<", " ").replace(">", " ")
    return model.text._URL.sub(" ", text)


def reference_closest_misspelt(spelling: str) -> str | None:
    """``_closest_misspelt`` scanning every fuzzy spelling of a nearby length (the old way)."""
    index = load_brand_index()
    table = index.fuzzy_two if " " in spelling else index.fuzzy_one
    widest = allowed_distance(len(spelling) + 3)
    letters, second = set(spelling), second_initial(spelling)
    best: tuple[int, str] | None = None
    for length in range(len(spelling) - widest, len(spelling) + widest + 1):
        for candidate, canonical in table.get(length, ()):
            if candidate[0] != spelling[0] or (" " in spelling and second_initial(candidate) != second):
                continue
            limit = allowed_distance(max(len(spelling), len(candidate)))
            if len(letters ^ set(candidate)) > 2 * limit:
                continue
            distance = edit_distance(spelling, candidate, limit)
            if distance <= limit and (best is None or distance < best[0]):
                best = (distance, canonical)
    return best[1] if best else None


def use_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put every straightforward implementation back in place of the fast one."""
    monkeypatch.setattr(NgramTfidf, "transform", reference_transform)
    monkeypatch.setattr(PhraseIndex, "find", reference_find)
    monkeypatch.setattr(model.folding, "_fold_short", model.folding._fold)  # folding without its cache
    monkeypatch.setattr(WordMatcher, "find", reference_word_find)
    monkeypatch.setattr(model.text, "strip_markup", reference_strip_markup)
    monkeypatch.setattr(model.brands, "_match_brand", model.brands._match_brand.__wrapped__)  # without its cache
    monkeypatch.setattr(model.brands, "_closest_misspelt", reference_closest_misspelt)
    for (module, name), pattern in REFERENCE_PATTERNS.items():
        monkeypatch.setattr(module, name, pattern)
    monkeypatch.setattr(model.linear, "_join_columns", reference_join_columns)
    use_text_step_references(monkeypatch)
    use_brand_and_folding_references(monkeypatch)
    use_scoring_references(monkeypatch)


def reference_join_columns(blocks: Sequence[sp.csr_matrix], dense: np.ndarray) -> sp.csr_matrix:
    """The feature matrix joined by scipy (the old way; ``_join_columns`` copies each block's entries in place)."""
    return sp.hstack([*blocks, sp.csr_matrix(dense)], format="csr", dtype=np.float32)
