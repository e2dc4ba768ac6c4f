"""The fast reading path gives the same scores as the straightforward one it replaced (issue 15: identical to 1e-9).

The straightforward implementations are kept here as the specification: the n-gram rows counted per text with a
Counter, whole-word phrase lookup by a dictionary of token tuples at each position, and tone-mark folding without
a cache. Scoring a sample of seed listings (and of real listings, when ``../shared`` is there) with the fast path
and again with these put back must give the same probabilities to 1e-9 and the same reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import model.folding
from model.linear import TEXT_VIEWS
from model.market.phrases import PhraseIndex, tokenize
from model.ngrams import MAX_CACHED_WORD_CHARS, NgramTfidf
from model.predictor import Predictor
from training.dataset import SEED_LISTINGS, find_shared_dir, load_listings

SAMPLE = 400


def reference_indices(self: NgramTfidf, document: str) -> list[int]:
    """Vocabulary indices of every n-gram of a document, repeated as often as it occurs (the old way)."""
    if self.analyzer == "char_wb":
        indices: list[int] = []
        for word in document.split():
            indices.extend(
                self._word_indices(word) if len(word) <= MAX_CACHED_WORD_CHARS else self._char_indices_of_word(word)
            )
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


def _sample() -> list[Any]:
    listings = load_listings(SEED_LISTINGS)[::7][:SAMPLE]
    shared = find_shared_dir()
    real = shared / "data" / "real-listings" / "tiki_fashion.jsonl" if shared else None
    if real is not None and real.is_file():
        listings += load_listings(real)[:SAMPLE]
    return listings


def _scores(predictor: Predictor, listings: Sequence[Any]) -> list[Any]:
    return [score for start in range(0, len(listings), 64) for score in predictor.score(listings[start : start + 64])]


def test_fast_reading_scores_equal_the_straightforward_path(trained: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    predictor = Predictor.load(trained.model_dir)
    listings = _sample()
    fast = _scores(predictor, listings)
    monkeypatch.setattr(NgramTfidf, "transform", reference_transform)
    monkeypatch.setattr(PhraseIndex, "find", reference_find)
    monkeypatch.setattr(model.folding, "_fold_short", model.folding._fold)  # folding without its cache
    slow = _scores(Predictor.load(trained.model_dir), listings)
    assert len(fast) == len(slow) == len(listings)
    flagged = 0
    for a, b in zip(fast, slow, strict=True):
        assert a.probabilities.keys() == b.probabilities.keys()
        for label, probability in a.probabilities.items():
            assert abs(probability - b.probabilities[label]) <= 1e-9
        assert a.risk == pytest.approx(b.risk, abs=1e-9)
        assert a.flagged == b.flagged and a.priority == b.priority
        assert [r.model_dump() for r in a.reasons] == [r.model_dump() for r in b.reasons]
        flagged += bool(a.flagged)
    assert flagged > 0  # the sample exercises the reasons, not only clean listings


def test_batch_rows_equal_per_text_rows(trained: Any) -> None:
    scorer = Predictor.load(trained.model_dir).linear
    listings = _sample()[:200]
    views = scorer.build_views(listings)
    scorer.transform(listings, views)  # builds the n-gram transforms
    assert scorer._ngrams
    for name, tfidf in scorer._ngrams.items():
        documents = [getattr(view, TEXT_VIEWS[name]) for view in views]
        fast, slow = tfidf.transform(documents), reference_transform(tfidf, documents)
        assert fast.shape == slow.shape
        assert np.array_equal(fast.indptr, slow.indptr) and np.array_equal(fast.indices, slow.indices)
        assert np.abs(fast.data - slow.data).max(initial=0.0) <= 1e-9


_WORDS = st.sampled_from(["a", "b", "c", "ab", "ba", "100%", "cu", "pass"])


@settings(max_examples=200, deadline=None)
@given(
    phrases=st.lists(st.lists(_WORDS, min_size=1, max_size=4), min_size=1, max_size=12),
    tokens=st.lists(_WORDS, max_size=30),
)
def test_automaton_finds_what_the_dictionary_finds(phrases: list[list[str]], tokens: list[str]) -> None:
    index = PhraseIndex.build((" ".join(words), n) for n, words in enumerate(phrases))
    assert list(index.find(tokens)) == list(reference_find(index, tokens))


def test_automaton_on_seed_texts_and_the_market_indexes() -> None:
    from model.market import condition, match
    from model.market.catalogue import load_catalogue

    indexes = [*match._accessory_indexes(), match._goods_index(), condition._index()]
    indexes.append(match._catalogue_index(load_catalogue()).aliases)
    texts = [f"{listing.title} {listing.description or ''}".lower() for listing in load_listings(SEED_LISTINGS)[:600]]
    for index in indexes:
        for text in texts:
            tokens = tokenize(model.folding.fold_diacritics(text))
            assert list(index.find(tokens)) == list(reference_find(index, tokens))
