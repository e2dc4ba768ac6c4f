"""Fast TF-IDF rows from a fitted scikit-learn ``TfidfVectorizer``, identical to its ``transform``.

scikit-learn builds every character n-gram of every word of every listing in Python, then looks each up in
the vocabulary. A word's ``char_wb`` n-grams depend on that word alone, and listings repeat the same few
thousand words, so here each word's vocabulary indices are computed once and cached: scoring then costs a
cache lookup per distinct word of a batch, and the batch's counts are one sparse product (documents x words) @
(words x n-grams) summed by scipy, not a Python step per n-gram. Word n-grams are found as integer keys of
token ids (``WordGramIndex``). The
weights (sublinear tf, idf, l2 norm) are the vectorizer's own, so the rows equal ``vectorizer.transform`` to
float32 rounding (tested).

The cache holds words of at most ``MAX_CACHED_WORD_CHARS`` characters (99.97% of the words of real listings),
at most ``WORD_CACHE_SIZE`` of them: a longer word is computed each time it is read, so no request can make the
cache keep a long string. The worst case is about 1.1 kB per entry (a 24-character word whose every n-gram is in
the vocabulary), so at most ~70 MB per character vectorizer; words of real listings take about 0.4 kB (measured:
16,464 words of 6,000 tiki_fashion listings, 7 MB), ~28 MB for a full cache. (Those sizes were measured with
the indices held as tuples; the cache now holds them as int32 bytes, which take less.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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
        self._word_blobs = lru_cache(maxsize=WORD_CACHE_SIZE)(self._char_blob_of_word)
        self._word_grams = WordGramIndex(self.vocabulary, self.min_n, self.max_n) if self.analyzer == "word" else None

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

    def _char_blob_of_word(self, word: str) -> bytes:
        """``_char_indices_of_word`` as the bytes of an int32 array: a batch's words join into one buffer."""
        return np.asarray(self._char_indices_of_word(word), dtype=np.int32).tobytes()

    def _char_counts(self, documents: Sequence[str]) -> sp.csr_matrix:
        """n-gram counts (rows = documents) as a sparse product: (documents x distinct words) @ (words x n-grams).

        Each distinct word of the batch is looked up once (its n-grams cached), and scipy sums the counts: no Python
        step per n-gram.
        """
        words_of = [document.split() for document in documents]  # scikit-learn collapses whitespace first
        distinct = list(dict.fromkeys(chain.from_iterable(words_of)))
        word_ids = dict(zip(distinct, range(len(distinct)), strict=True))
        cached, uncached = self._word_blobs, self._char_blob_of_word
        blobs = [cached(word) if len(word) <= MAX_CACHED_WORD_CHARS else uncached(word) for word in distinct]
        counts = _count_matrix(words_of, len(distinct), word_ids.get) @ self._word_gram_matrix(blobs)
        # the product holds each column once per row, in no order. Transposed twice, by counting sorts in C, its
        # columns come out sorted: a third faster than sorting each row for a batch, but each transpose walks every
        # column of the vocabulary, so a few listings (a single request) are sorted row by row
        if counts.nnz * 3 < self.n_features:
            counts.sort_indices()
            return counts
        return counts.T.tocsr().T.tocsr()

    def _word_gram_matrix(self, blobs: Sequence[bytes]) -> sp.csr_matrix:
        """(words x n-grams) counts from each word's n-gram indices as int32 bytes, joined in C (no Python step per
        n-gram)."""
        columns = np.frombuffer(b"".join(blobs), dtype=np.int32)
        indptr = np.zeros(len(blobs) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // 4, out=indptr[1:])
        return sp.csr_matrix((np.ones(len(columns)), columns, indptr), shape=(len(blobs), self.n_features))

    def _word_counts(self, documents: Sequence[str]) -> sp.csr_matrix:
        """n-gram counts (rows = documents) of the word analyzer: tokens, and runs of tokens joined by a space."""
        if self._word_grams is not None and self._word_grams.usable:
            tokens_of = [self.token_pattern.findall(document) for document in documents]
            return self._word_grams.counts(tokens_of, self.n_features)
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


def _count_matrix(rows: Sequence[Sequence[Any]], n_columns: int, look_up: Callable[[Any, int], int]) -> sp.csr_matrix:
    """A sparse count matrix, one row per sequence: each item's column is ``look_up(item, -1)`` (-1: none, the
    item is skipped); an item repeated in a row is kept repeated, for ``sum_duplicates`` or a product to add up."""
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    items = map(look_up, chain.from_iterable(rows), repeat(-1))
    columns = np.fromiter(items, dtype=np.int64, count=int(lengths.sum()))
    found = columns >= 0
    lengths = np.bincount(np.repeat(np.arange(len(rows)), lengths)[found], minlength=len(rows))
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    return sp.csr_matrix((np.ones(int(found.sum())), columns[found], indptr), shape=(len(rows), n_columns))


class WordGramIndex:
    """A word vocabulary's n-grams as integer keys, so that a batch's n-grams are found by array operations.

    Every token of the vocabulary gets an id; an n-gram of ids ``t1 … tn`` is the key ``((t1·T + t2)·T + …) + tn``
    (``T`` tokens; usable while ``T**n`` fits 62 bits). A batch costs one dictionary look-up per token: its
    n-grams' keys are built for all positions at once and found by binary search in the sorted keys, where
    scikit-learn joins and looks up every n-gram's string.
    """

    def __init__(self, vocabulary: dict[str, int], min_n: int, max_n: int) -> None:
        self.token_ids: dict[str, int] = {}
        for gram in vocabulary:
            for token in gram.split(" "):
                self.token_ids.setdefault(token, len(self.token_ids))
        self.n_tokens = len(self.token_ids)
        self.usable = self.n_tokens > 0 and self.n_tokens**max_n < 2**62
        self.unigrams = np.full(self.n_tokens, -1, dtype=np.int64)  # token id -> its unigram's column, or -1
        grams_of: dict[int, list[tuple[int, int]]] = {}  # n -> [(key, column)]
        for gram, column in vocabulary.items():
            tokens = gram.split(" ")
            if len(tokens) == 1:
                self.unigrams[self.token_ids[gram]] = column if min_n == 1 else -1
                continue
            key = 0
            for token in tokens:
                key = key * self.n_tokens + self.token_ids[token]
            grams_of.setdefault(len(tokens), []).append((key, column))
        self.keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # n -> (sorted keys, their columns)
        for n in range(max(min_n, 2), max_n + 1):
            pairs = np.array(sorted(grams_of.get(n, [])), dtype=np.int64).reshape(-1, 2)
            self.keys[n] = (pairs[:, 0].copy(), pairs[:, 1].copy())

    def counts(self, tokens_of: Sequence[Sequence[str]], n_columns: int) -> sp.csr_matrix:
        """n-gram counts (rows = documents) of the documents' tokens; an n-gram never spans two documents."""
        lengths = np.fromiter(map(len, tokens_of), dtype=np.int64, count=len(tokens_of))
        total = int(lengths.sum())
        ids = np.fromiter(
            map(self.token_ids.get, chain.from_iterable(tokens_of), repeat(-1)), dtype=np.int64, count=total
        )
        document = np.repeat(np.arange(len(tokens_of)), lengths)
        known = ids >= 0
        unigrams = np.where(known, self.unigrams[np.maximum(ids, 0)], -1)
        rows, columns = [document[unigrams >= 0]], [unigrams[unigrams >= 0]]
        for n, (keys, key_columns) in self.keys.items():
            starts = total - n + 1
            if starts <= 0 or len(keys) == 0:
                continue
            valid = known[:starts].copy()
            key = ids[:starts].copy()
            for k in range(1, n):
                valid &= known[k : k + starts] & (document[k : k + starts] == document[:starts])
                key = key * self.n_tokens + ids[k : k + starts]
            key, first = key[valid], document[:starts][valid]
            at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
            found = keys[at] == key
            rows.append(first[found])
            columns.append(key_columns[at[found]])
        row, column = np.concatenate(rows), np.concatenate(columns)
        return sp.csr_matrix((np.ones(len(row)), (row, column)), shape=(len(tokens_of), n_columns))
