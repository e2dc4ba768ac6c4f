"""Fast TF-IDF rows from a fitted scikit-learn ``TfidfVectorizer``, identical to its ``transform``.

scikit-learn builds every character n-gram of every word of every listing in Python, then looks each up in
the vocabulary. A word's ``char_wb`` n-grams depend on that word alone, and listings repeat the same few
thousand words, so here each word's vocabulary indices are computed once and cached as int32 bytes: scoring then
costs one dictionary look-up per word, the words' bytes are joined into each document's n-gram columns in C, and
scipy or numpy sort and add these up (``_counts``): no Python step per n-gram. Word n-grams are found as integer
keys of token ids (``WordGramIndex``); where tokens are split at punctuation, each whitespace-separated word's
token ids are cached the same way (one look-up per word). The weights (sublinear tf, idf, l2 norm) are the
vectorizer's own, so the rows equal ``vectorizer.transform`` to float32 rounding (tested).

The cache holds words of at most ``MAX_CACHED_WORD_CHARS`` characters (99.97% of the words of real listings),
at most ``WORD_CACHE_SIZE`` of them: a longer word is computed each time it is read, so no request can make the
cache keep a long string. The worst case is about 1.1 kB per entry (a 24-character word whose every n-gram is in
the vocabulary), so at most ~70 MB per character vectorizer; words of real listings take about 0.4 kB (measured:
16,464 words of 6,000 tiki_fashion listings, 7 MB, as tuples), ~28 MB for a full cache; a word's token ids, 96 B.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import chain, repeat

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from model.errors import ArtifactError

WORD_CACHE_SIZE = 65_536
MAX_CACHED_WORD_CHARS = 24
# Token patterns whose scikit-learn form is not linear, and an equivalent linear one: ``\S*_\S+`` retries from
# every character of a word without "_" (n² steps for one long word); anchored at the word's start it tries once.
_LINEAR_TOKEN_PATTERNS = {r"\S*_\S+": r"(?<!\S)\S*_\S+"}
# Token patterns that are runs of characters other than whitespace and some punctuation, and that punctuation:
# replaced by spaces, ``str.split`` (whose whitespace is the regex's ``\s``) finds the same tokens, a fifth faster
# than ``findall``.
_SPLIT_TOKEN_PATTERNS = {r"[^\s.,;:!?()\[\]\"']+": r"[.,;:!?()\[\]\"']"}


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
        if self.norm not in ("l2", None):
            raise ArtifactError(f"expected norm 'l2' or None, found {self.norm!r}")
        self.dtype = vectorizer.dtype
        self.n_features = len(self.idf)
        pattern = vectorizer.token_pattern
        self.token_pattern = re.compile(_LINEAR_TOKEN_PATTERNS.get(pattern, pattern))
        separators = _SPLIT_TOKEN_PATTERNS.get(pattern)
        self._separators = re.compile(separators) if separators is not None else None
        self._word_blobs = WordBlobs(self._char_blob_of_word)
        self._word_grams = WordGramIndex(self.vocabulary, self.min_n, self.max_n) if self.analyzer == "word" else None
        self._token_blobs = WordBlobs(self._token_blob_of_word)

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
        """``_char_indices_of_word`` as the bytes of an int32 array: a document's words join into one buffer."""
        return np.asarray(self._char_indices_of_word(word), dtype=np.int32).tobytes()

    def _char_occurrences(self, documents: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The column of every n-gram of the documents, document after document, and where each document starts.

        Each word's n-grams are its cached int32 bytes (one dictionary look-up in C when cached, see
        ``WordBlobs``), joined per document and then for the batch in C: no Python step per n-gram.
        """
        blob_of = self._word_blobs.__getitem__
        # str.split collapses whitespace as scikit-learn does before taking words
        blobs = [b"".join(map(blob_of, document.split())) for document in documents]
        columns = np.frombuffer(b"".join(blobs), dtype=np.int32)
        starts = np.zeros(len(blobs) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)), out=starts[1:])
        return columns, starts // 4

    def _tokens(self, document: str) -> list[str]:
        """The word analyzer's tokens of a document: ``token_pattern.findall``, by ``str.split`` where that is
        the same (``_SPLIT_TOKEN_PATTERNS``)."""
        if self._separators is not None:
            return self._separators.sub(" ", document).split()
        return self.token_pattern.findall(document)

    def _token_blob_of_word(self, word: str) -> bytes:
        """The ids (-1: unknown) of one whitespace-free word's tokens, as the bytes of an int64 array."""
        assert self._word_grams is not None and self._separators is not None
        tokens = self._separators.sub(" ", word).split()
        return np.fromiter(map(self._word_grams.token_ids.get, tokens, repeat(-1)), dtype=np.int64).tobytes()

    def _word_occurrences(self, documents: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The column of every n-gram of the word analyzer (tokens, and runs of tokens joined by a space) in the
        documents, document after document, and where each document starts. Where tokens are split at
        punctuation, a document's tokens are its whitespace-separated words' tokens in turn, so each word's token
        ids come from the cache (``WordBlobs``) and are joined in C, as ``_char_occurrences`` joins n-grams."""
        grams = self._word_grams
        if grams is not None and grams.usable and self._separators is not None:
            blob_of = self._token_blobs.__getitem__
            blobs = [b"".join(map(blob_of, document.split())) for document in documents]
            lengths = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // 8
            return grams.occurrences(np.frombuffer(b"".join(blobs), dtype=np.int64), lengths)
        if grams is not None and grams.usable:
            return grams.occurrences(*grams.ids_of([self._tokens(document) for document in documents]))
        grams_of = []
        for document in documents:
            tokens = self._tokens(document)
            grams = list(tokens) if self.min_n == 1 else []
            for n in range(max(self.min_n, 2), self.max_n + 1):
                grams += map(" ".join, zip(*(tokens[k:] for k in range(n)), strict=False))
            grams_of.append(grams)
        lengths = np.fromiter(map(len, grams_of), dtype=np.int64, count=len(grams_of))
        items = map(self.vocabulary.get, chain.from_iterable(grams_of), repeat(-1))
        return _found(np.fromiter(items, dtype=np.int64, count=int(lengths.sum())), lengths)

    def transform(self, documents: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows of the documents, equal to the vectorizer's ``transform``, built for the batch at once."""
        if self.analyzer == "char_wb":
            columns, starts = self._char_occurrences(documents)
        else:
            columns, starts = self._word_occurrences(documents)
        data, indices, indptr = _counts(columns, starts, self.n_features)
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf[indices]
        if self.norm == "l2":
            row_lengths = indptr[1:] - indptr[:-1]
            rows = np.repeat(np.arange(len(documents)), row_lengths)
            norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=len(documents)))
            norms[norms == 0] = 1.0
            data *= np.repeat(1.0 / norms, row_lengths)
        shape = (len(documents), self.n_features)
        return sp.csr_matrix((data.astype(self.dtype), indices, indptr), shape=shape, copy=False)


class WordBlobs(dict[str, bytes]):
    """Cache of word -> its ``char_wb`` n-grams' indices as int32 bytes, bounded like an LRU cache.

    A dict whose ``__missing__`` computes a word, so that a cached word costs one dictionary look-up in C (an
    ``lru_cache`` call costs twice that). Recency is kept in two generations: words are added to this
    dict; when it holds half of ``WORD_CACHE_SIZE`` words it becomes the old generation and a new one starts, and a
    word found in the old one moves back into the new. Words in use stay; the rest are dropped with the old
    generation, and the two together never hold more than ``WORD_CACHE_SIZE`` words of at most
    ``MAX_CACHED_WORD_CHARS`` characters.
    """

    def __init__(self, compute: Callable[[str], bytes]) -> None:
        super().__init__()
        self._compute = compute
        self._old: dict[str, bytes] = {}

    def __missing__(self, word: str) -> bytes:
        blob = self._old.pop(word, None)
        if blob is None:
            blob = self._compute(word)
        if len(word) <= MAX_CACHED_WORD_CHARS:
            if len(self) >= WORD_CACHE_SIZE // 2:
                self._old = dict(self)
                self.clear()
            self[word] = blob
        return blob


def _counts(columns: np.ndarray, starts: np.ndarray, n_columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The count matrix (rows = documents) of the columns of each document (``columns[starts[i]:starts[i + 1]]``,
    in any order, repeated as often as they occur) in canonical CSR form: (counts as float64, columns sorted
    within each row, row starts).

    A batch's columns are put in order by scipy's counting sorts (converted to columns and back), which walk every
    column of the vocabulary, so a few listings (a single request) are sorted by numpy as the keys
    ``row · n_columns + column``: cheaper there, dearer for a batch (numpy's sort is n·log n, and this machine's
    is ~20 ns an element at 45,000).
    """
    n_rows = len(starts) - 1
    if len(columns) * 3 >= n_columns:
        shape = (n_rows, n_columns)
        counts = sp.csr_matrix((np.ones(len(columns)), columns, starts), shape=shape, copy=False).tocsc().tocsr()
        counts.sum_duplicates()
        return counts.data, counts.indices, counts.indptr
    # int32 keys where they fit: numpy sorts them three times faster than int64
    dtype = np.int32 if n_rows * n_columns < 2**31 else np.int64
    keys = np.repeat(np.arange(0, n_rows * n_columns, n_columns, dtype=dtype), starts[1:] - starts[:-1])
    keys += columns
    keys.sort()
    change = np.empty(len(keys) + 1, dtype=bool)  # where a distinct key starts, and the end
    change[0] = change[-1] = True
    np.not_equal(keys[1:], keys[:-1], out=change[1:-1])
    bounds = np.flatnonzero(change)
    distinct = keys[bounds[:-1]]
    counts = (bounds[1:] - bounds[:-1]).astype(np.float64)
    row_starts = np.searchsorted(distinct, np.arange(0, (n_rows + 1) * n_columns, n_columns, dtype=dtype))
    # int32 row starts (fewer than n_columns entries here), as scipy would make them, at a copy
    return counts, distinct % dtype(n_columns), row_starts.astype(np.int32)


def _found(columns: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The columns that are not -1 (an n-gram outside the vocabulary), and where each document's start, given
    ``lengths`` columns per document."""
    found = columns >= 0
    kept = np.zeros(len(found) + 1, dtype=np.int64)
    np.cumsum(found, out=kept[1:])
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return columns[found], kept[starts]


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
        self.sizes = range(min_n, max_n + 1)
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

    def ids_of(self, tokens_of: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """The id of every token of the documents (-1: unknown), and each document's count of tokens."""
        lengths = np.fromiter(map(len, tokens_of), dtype=np.int64, count=len(tokens_of))
        items = map(self.token_ids.get, chain.from_iterable(tokens_of), repeat(-1))
        return np.fromiter(items, dtype=np.int64, count=int(lengths.sum())), lengths

    def occurrences(self, ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The column of every n-gram of the documents' token ids (``lengths`` tokens per document, in turn),
        document after document, and where each document starts; an n-gram never spans two documents."""
        total = len(ids)
        known = ids >= 0
        # found[i, k]: the column of the n-gram of the k-th size starting at token i, or -1. Read row after row,
        # it lists each document's n-grams in turn, since a document's tokens follow one another
        found = np.full((total, len(self.sizes)), -1, dtype=np.int64)
        document = np.repeat(np.arange(len(lengths)), lengths)
        for slot, n in enumerate(self.sizes):
            if n == 1:
                found[:, slot] = np.where(known, self.unigrams[ids], -1)  # ids of -1 read any unigram, not kept
                continue
            keys, key_columns = self.keys[n]
            starts = total - n + 1
            if starts <= 0 or len(keys) == 0:
                continue
            valid = known[:starts].copy()
            key = ids[:starts].copy()
            for k in range(1, n):
                valid &= known[k : k + starts] & (document[k : k + starts] == document[:starts])
                key = key * self.n_tokens + ids[k : k + starts]
            first, key = np.flatnonzero(valid), key[valid]
            at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
            hit = keys[at] == key
            found[first[hit], slot] = key_columns[at[hit]]
        return _found(found.ravel(), lengths * len(self.sizes))
