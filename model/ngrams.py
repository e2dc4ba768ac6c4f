"""Fast TF-IDF rows from a fitted scikit-learn ``TfidfVectorizer``, identical to its ``transform``.

scikit-learn builds every character n-gram of every word of every listing in Python, then looks each up in
the vocabulary. A word's ``char_wb`` n-grams depend on that word alone, and listings repeat the same few
thousand words, so here each word's vocabulary indices are computed once and cached: scoring then costs a
cache lookup per word. Word n-grams are looked up directly. The weights (sublinear tf, idf, l2 norm) are the
vectorizer's own, so the rows equal ``vectorizer.transform`` to float32 rounding (tested).

The cache holds words of at most ``MAX_CACHED_WORD_CHARS`` characters (99.97% of the words of real listings),
at most ``WORD_CACHE_SIZE`` of them: a longer word is computed each time it is read, so no request can make the
cache keep a long string. The worst case is about 1.1 kB per entry (a 24-character word whose every n-gram is in
the vocabulary), so at most ~70 MB per character vectorizer; words of real listings take about 0.4 kB (measured:
16,464 words of 6,000 tiki_fashion listings, 7 MB), ~28 MB for a full cache.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

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

    def _indices(self, document: str) -> list[int]:
        """Vocabulary indices of every n-gram of a document, repeated as often as it occurs."""
        if self.analyzer == "char_wb":
            indices: list[int] = []
            cached, uncached = self._word_indices, self._char_indices_of_word
            for word in document.split():  # scikit-learn collapses whitespace first: split() ignores it anyway
                indices.extend(cached(word) if len(word) <= MAX_CACHED_WORD_CHARS else uncached(word))
            return indices
        tokens = self.token_pattern.findall(document)
        vocabulary = self.vocabulary
        grams = list(tokens) if self.min_n == 1 else []
        for n in range(max(self.min_n, 2), self.max_n + 1):
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return [vocabulary[gram] for gram in grams if gram in vocabulary]

    def transform(self, documents: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows of the documents, equal to the vectorizer's ``transform``."""
        indptr = [0]
        columns: list[int] = []
        values: list[float] = []
        for document in documents:
            counts = Counter(self._indices(document))
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
        elif self.norm is not None:
            raise ArtifactError(f"expected norm 'l2' or None, found {self.norm!r}")
        matrix.sort_indices()
        return matrix.astype(self.dtype)
