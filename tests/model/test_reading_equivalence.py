"""The fast reading path gives the same scores as the straightforward one it replaced (issue 15: identical to 1e-9).

The straightforward implementations are kept here as the specification: the n-gram rows counted per text with a
Counter, whole-word phrase lookup by a dictionary of token tuples at each position, tone-mark folding without a
cache, brand misspellings compared with every brand spelling of a nearby length, whole-word lookup of lexicon terms,
innocent phrases, teencode and brand abbreviations by one trie regex per word list (``reference_word_pattern``) where
``WordMatcher`` runs an Aho–Corasick automaton, and the patterns rewritten for speed as they were
(``REFERENCE_PATTERNS``). Scoring a sample of seed listings (and of real listings, when ``../shared`` is there) with
the fast path and again with these put back must give the same probabilities to 1e-9 and the same reasons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import model.brands
import model.deobfuscation
import model.folding
import model.identifiers
import model.text
from model.brands import load_brand_index
from model.market.phrases import PhraseIndex, tokenize
from model.predictor import Predictor
from model.text_vectorizers import TEXT_VIEWS
from tests.model.reading_references import (
    REFERENCE_PATTERNS,
    reference_closest_misspelt,
    reference_find,
    reference_strip_markup,
    reference_transform,
    reference_word_find,
    use_references,
)
from training.dataset import SEED_LISTINGS, find_shared_dir, load_listings

SAMPLE = 400


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
    use_references(monkeypatch)
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
        texts = [getattr(view, TEXT_VIEWS[name]) for view in views]
        for documents in (texts, texts[:1], texts[1:3]):  # a batch, and requests of one or two listings
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


def test_word_matchers_on_seed_texts() -> None:
    from model.brand_hints import _hint_matcher
    from model.deobfuscation import _teencode_matcher
    from model.lexicon import load_lexicon

    lexicon = load_lexicon()
    matchers = [lexicon.terms, lexicon.innocent, _teencode_matcher(), _hint_matcher()]
    texts = [model.text.normalize_text(f"{listing.title} {listing.description or ''}") for listing in _sample()]
    texts += [model.folding.fold_diacritics(text) for text in texts]
    found = 0
    for matcher in matchers:
        for text in texts:
            words = list(matcher.find(text))
            assert words == reference_word_find(matcher, text)
            found += len(words)
    assert found > 100


_TRICKY = st.text(alphabet="aaáẠđ1_²0+84.- x:/wWhHtTpPsSſ<>&;\n\t", max_size=60)


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


@settings(max_examples=500, deadline=None)
@given(text=_TRICKY)
def test_rewritten_patterns_find_what_the_old_ones_found(text: str) -> None:
    for (module, name), old in REFERENCE_PATTERNS.items():
        new = getattr(module, name)
        if name == "_SPACED_END":  # a scan before the pattern: it must find something whenever the pattern does
            assert new.search(text) is not None or module._SPACED.search(text) is None
        else:
            assert _spans(new, text) == _spans(old, text)
    assert model.text._REPEAT.sub(r"\1", text) == REFERENCE_PATTERNS[(model.text, "_REPEAT")].sub(r"\1", text)
    assert model.text.strip_markup(text) == reference_strip_markup(text)


def test_rewritten_patterns_on_seed_texts() -> None:
    for listing in _sample():
        text = f"{listing.title} {listing.description or ''}"
        assert model.text.strip_markup(text) == reference_strip_markup(text)
        for (module, name), old in REFERENCE_PATTERNS.items():
            if name != "_SPACED_END":
                assert _spans(getattr(module, name), text.lower()) == _spans(old, text.lower())


def _misspellings(spelling: str) -> list[str]:
    """Each letter of a spelling dropped, doubled or swapped with the next: what sellers write for a brand."""
    found = []
    for i in range(len(spelling)):
        found += [spelling[:i] + spelling[i + 1 :], spelling[:i] + spelling[i] + spelling[i:]]
        found.append(spelling[:i] + spelling[i + 1 : i + 2] + spelling[i : i + 1] + spelling[i + 2 :])
    return found


def test_brand_matching_equals_the_scan_of_every_spelling() -> None:
    index = load_brand_index()
    spellings = {m for s in index.exact for m in _misspellings(s)}
    for listing in _sample():
        tokens = model.brands._TOKEN.findall(model.text.read_text(listing.title).folded)
        spellings.update(tokens)
        spellings.update(f"{a} {b}" for a, b in pairwise(tokens))
    matched = 0
    for spelling in sorted(spelling for spelling in spellings if len(spelling.replace(" ", "")) >= 6):
        brand = model.brands._closest_misspelt(spelling)
        assert brand == reference_closest_misspelt(spelling), spelling
        matched += brand is not None
    assert matched > 500  # misspellings matched, not only exact spellings
