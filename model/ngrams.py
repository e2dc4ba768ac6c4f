"""Fast TF-IDF rows from a fitted scikit-learn ``TfidfVectorizer``, identical to its ``transform``.

scikit-learn builds every character n-gram of every word of every listing in Python, then looks each up in
the vocabulary. A word's ``char_wb`` n-grams depend on that word alone, and listings repeat the same few
thousand words, so here each word's vocabulary indices are computed once and cached: scoring then costs a
cache lookup per distinct word of a batch, and the batch's counts are one sparse product (documents x words) @
(words x n-grams) summed by scipy, not a Python step per n-gram. Word n-grams are looked up directly. The
weights (sublinear tf, idf, l2 norm) are the vectorizer's own, so the rows equal ``vectorizer.transform`` to
float32 rounding (tested).

The cache holds words of at most ``MAX_CACHED_WORD_CHARS`` characters (99.97% of the words of real listings),
at most ``WORD_CACHE_SIZE`` of them: a longer word is computed each time it is read, so no request can make the
cache keep a long string. The worst case is about 1.1 kB per entry (a 24-character word whose every n-gram is in
the vocabulary), so at most ~70 MB per character vectorizer; words of real listings take about 0.4 kB (measured:
16,464 words of 6,000 tiki_fashion listings, 7 MB), ~28 MB for a full cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import chain, repeat
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from model.errors import ArtifactError

WORD_CACHE_SIZE = 65_536
MAX_CACHED_WORD_CHARS = 24
# Token patterns whose scikit-learn form is not linear, and an equivalent linear one: ``\S*_\S+`` retries from
# every character of a word without "_" (n² steps for one long word); anchored at the word's start it tries once.
_LINEAR_TOKEN_PATTERNS = {r"\S*_\S+": r"(?<!\S)\S*_\S+"}


class NgramTfidf:
    """The TF-IDF transform of one fitted vectorizer (analyzer ``word`` or ``char_wb``, no preprocessing)."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.analyzer not in ("word", "char_wb") or vectorizer.lowercase or vectorizer.stop_words:
            raise ArtifactError(
                "expected a TfidfVectorizer with analyzer 'word' or 'char_wb', lowercase=False and no stop words, "
                f"found analyzer={vectorizer.analyzer!r}, lowercase={vectorizer.lowercase}"
            )
        self.analyzer = vectorizer.analyzer
        self.min_n, self.max_n = vectorizer.ngram_range
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.sublinear_tf = vectorizer.sublinear_tf
        self.norm = vectorizer.norm
        self.dtype = vectorizer.dtype
        self.n_features = len(self.idf)
        pattern = vectorizer.token_pattern
        self.token_pattern = re.compile(_LINEAR_TOKEN_PATTERNS.get(pattern, pattern))
        self._word_indices = lru_cache(maxsize=WORD_CACHE_SIZE)(self._char_indices_of_word)

    def _char_indices_of_word(self, word: str) -> tuple[int, ...]:
        """Vocabulary indices of the ``char_wb`` n-grams of one word, as scikit-learn forms them."""
        padded = f" {word} "
        length = len(padded)
        vocabulary = self.vocabulary
        indices: list[int] = []
        for n in range(self.min_n, self.max_n + 1):
            if length <= n:  # a word shorter than n gives itself once, and no longer n-grams
                index = vocabulary.get(padded)
                if index is not None:
                    indices.append(index)
                break
            for start in range(length - n + 1):
                index = vocabulary.get(padded[start : start + n])
                if index is not None:
                    indices.append(index)
        return tuple(indices)

    def _char_counts(self, documents: Sequence[str]) -> sp.csr_matrix:
        """n-gram counts (rows = documents) as a sparse product: (documents x distinct words) @ (words x n-grams).

        Each distinct word of the batch is looked up once (its n-grams cached), and scipy sums the counts: no Python
        step per n-gram.
        """
        words_of = [document.split() for document in documents]  # scikit-learn collapses whitespace first
        distinct = list(dict.fromkeys(chain.from_iterable(words_of)))
        word_ids = dict(zip(distinct, range(len(distinct)), strict=True))
        cached, uncached = self._word_indices, self._char_indices_of_word
        grams = [cached(word) if len(word) <= MAX_CACHED_WORD_CHARS else uncached(word) for word in distinct]
        counts = _count_matrix(words_of, len(distinct), word_ids.get) @ _count_matrix(grams, self.n_features)
        # the product holds each column once per row, in no order. Transposed twice, by counting sorts in C, its
        # columns come out sorted: a third faster than sorting each row for a batch, but each transpose walks every
        # column of the vocabulary, so a few listings (a single request) are sorted row by row
        if counts.nnz * 3 < self.n_features:
            counts.sort_indices()
            return counts
        return counts.T.tocsr().T.tocsr()

    def _word_counts(self, documents: Sequence[str]) -> sp.csr_matrix:
        """n-gram counts (rows = documents) of the word analyzer: tokens, and runs of tokens joined by a space."""
        grams_of = []
        for document in documents:
            tokens = self.token_pattern.findall(document)
            grams = list(tokens) if self.min_n == 1 else []
            for n in range(max(self.min_n, 2), self.max_n + 1):
                grams += map(" ".join, zip(*(tokens[k:] for k in range(n)), strict=False))
            grams_of.append(grams)
        return _count_matrix(grams_of, self.n_features, self.vocabulary.get)

    def transform(self, documents: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows of the documents, equal to the vectorizer's ``transform``, built for the batch at once."""
        counts = self._char_counts(documents) if self.analyzer == "char_wb" else self._word_counts(documents)
        counts.sum_duplicates()  # canonical: columns sorted within each row, each once
        data = counts.data.astype(np.float64)
        if self.sublinear_tf:
            data = np.log(data) + 1.0
        data *= self.idf[counts.indices]
        if self.norm == "l2":
            row_lengths = np.diff(counts.indptr)
            rows = np.repeat(np.arange(len(documents)), row_lengths)
            norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=len(documents)))
            norms[norms == 0] = 1.0
            data *= np.repeat(1.0 / norms, row_lengths)
        elif self.norm is not None:
            raise ArtifactError(f"expected norm 'l2' or None, found {self.norm!r}")
        return sp.csr_matrix(
            (data.astype(self.dtype), counts.indices, counts.indptr), shape=(len(documents), self.n_features)
        )


def _count_matrix(
    rows: Sequence[Sequence[Any]], n_columns: int, look_up: Callable[[Any, int], int] | None = None
) -> sp.csr_matrix:
    """A sparse count matrix, one row per sequence: each item is a column (or ``look_up(item, -1)`` is, -1 for
    none); an item repeated in a row is kept repeated, for ``sum_duplicates`` or a product to add up."""
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    items: Iterable[Any] = chain.from_iterable(rows)
    if look_up is not None:
        items = map(look_up, items, repeat(-1))
    columns = np.fromiter(items, dtype=np.int64, count=int(lengths.sum()))
    if look_up is not None:
        found = columns >= 0
        lengths = np.bincount(np.repeat(np.arange(len(rows)), lengths)[found], minlength=len(rows))
        columns = columns[found]
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    return sp.csr_matrix((np.ones(len(columns)), columns, indptr), shape=(len(rows), n_columns))
