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

import html
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import model.brands
import model.deobfuscation
import model.folding
import model.identifiers
import model.text
from model.brands import _allowed_distance, _second_initial, edit_distance, load_brand_index
from model.linear import TEXT_VIEWS
from model.market.phrases import PhraseIndex, tokenize
from model.ngrams import MAX_CACHED_WORD_CHARS, NgramTfidf
from model.patterns import WordMatcher
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
    widest = _allowed_distance(len(spelling) + 3)
    letters, second = set(spelling), _second_initial(spelling)
    best: tuple[int, str] | None = None
    for length in range(len(spelling) - widest, len(spelling) + widest + 1):
        for candidate, canonical in table.get(length, ()):
            if candidate[0] != spelling[0] or (" " in spelling and _second_initial(candidate) != second):
                continue
            limit = _allowed_distance(max(len(spelling), len(candidate)))
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
