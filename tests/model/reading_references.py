"""The straightforward implementations the fast reading path replaced, kept as its specification
(``test_reading_equivalence.py``): n-gram rows counted per text with a Counter, whole-word phrase lookup by a
dictionary of token tuples at each position, word lists matched by one trie regex each
(``reference_word_pattern``) where ``WordMatcher`` runs an Aho–Corasick automaton, brand misspellings compared with
every brand spelling of a nearby length, and the patterns rewritten for speed as they were (``REFERENCE_PATTERNS``).
``use_references`` puts them all back."""

from __future__ import annotations

import heapq
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
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
from model.folding import nfc
from model.identifiers import ContactDetails
from model.market.phrases import PhraseIndex
from model.ngrams import NgramTfidf
from model.patterns import WordMatcher, WordMatchers
from model.signals import TextSignals
from model.spelling import allowed_distance, edit_distance, second_initial


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
    use_text_step_references(monkeypatch)
    use_brand_and_folding_references(monkeypatch)
    monkeypatch.setattr(model.linear, "_join_columns", reference_join_columns)
    # and those of the price check, the features and the score loop (``scoring_references``)
    from tests.model.scoring_references import use_scoring_references

    use_scoring_references(monkeypatch)
    from tests.model.text2_references import use_text2_references

    use_text2_references(monkeypatch)


# ---------------------------------------------------------------- the text steps of ``read_text``, as they were

REFERENCE_PATTERNS[(model.deobfuscation, "_PRICE")] = re.compile(
    r"(?=\d)(?<![\w.,])(?:"
    r"(?P<millions>\d++(?:[.,]\d++)?+)\s?(?:triệu|trieu|tr|củ)(?:\s?(?P<fraction>\d{1,3})(?!\d))?"
    r"|(?P<thousands>\d++(?:[.,]\d++)?+)\s?(?:nghìn|nghin|ngàn|ngan|k)"
    r"|(?P<dong>\d{1,3}(?:[.,]\d{3})++|\d{4,10})\s?(?:đồng|dong|vnđ|vnd|đ|₫)"
    r")(?!\w)"
)


def reference_collapse_spaces(text: str) -> str:
    """Runs of whitespace as one space, none at either end: the words split apart and joined again (the old way)."""
    return " ".join(text.split())


def reference_surface_text(text: str) -> str:
    """``surface_text`` taking out control characters and collapsing whitespace however the text looks (the old way)."""
    return reference_collapse_spaces(model.text._CONTROL.sub(" ", model.text.strip_markup(nfc(text))))


def reference_normalize_surface(surface: str) -> str:
    """``_normalize_surface`` collapsing the spaces again after lower case and repeated letters (the old way)."""
    return reference_collapse_spaces(model.text._REPEAT.sub(r"\1", nfc(surface.lower())))


def reference_find_contact_details(text: str) -> tuple[str, ContactDetails]:
    """``find_contact_details`` checking for each account word, "@" and each app with ``in`` (the old way)."""
    ids = model.identifiers
    banks: list[str] = []
    phones: list[str] = []
    handles: list[tuple[str, str]] = []
    if any(word in text for word in ids.load_contact_data().account_words):
        text = ids._take(ids._account_patterns()[0], text, banks, lambda m: re.sub(r"\D", "", m.group(1)))
    if ids._DIGIT.search(text):
        text = ids._take(ids._PHONE, text, phones, lambda m: re.sub(r"[\s.\-]", "", m.group(0)))
    if "@" in text or any(app in text for app in ids.FEATURE_HANDLE_APPS):

        def keep(m: re.Match[str]) -> tuple[str, str] | None:
            return None if m.group("handle").isdigit() else (m.group("app") or "", m.group("handle"))

        text = ids._take(ids._FEATURE_HANDLE, text, handles, keep)
    return text, ContactDetails(phones=tuple(phones), handles=tuple(handles), bank_accounts=tuple(banks))


def reference_extract_signals(text: str) -> tuple[str, TextSignals]:
    """``extract_signals`` by ``reference_find_contact_details``, a new ``TextSignals`` every time (the old way)."""
    text, found = reference_find_contact_details(text)
    handles = tuple(handle for _app, handle in found.handles)
    return text, TextSignals(phones=found.phones, handles=handles, bank_accounts=found.bank_accounts)


def reference_expand_units(text: str) -> str:
    """``expand_units`` with both patterns run on any text with a digit (the old way)."""
    deob = model.deobfuscation
    if deob._DIGIT.search(text) is None:
        return text
    text = deob._MILLIONS.sub(lambda m: f"{m.group(1)} triệu" + (f" {m.group(2)}" if m.group(2) else ""), text)
    return deob._THOUSANDS.sub(lambda m: f"{m.group(1)} nghìn", text)


def reference_find_price_mentions(text: str) -> list[float]:
    """``find_price_mentions`` reading each number from its named group (the old way; the old ``_PRICE`` only)."""
    found: list[float] = []
    for m in REFERENCE_PATTERNS[(model.deobfuscation, "_PRICE")].finditer(text):
        if m.group("millions"):
            fraction = float("0." + m.group("fraction")) if m.group("fraction") else 0.0
            found.append((float(m.group("millions").replace(",", ".")) + fraction) * 1_000_000)
        elif m.group("thousands"):
            found.append(float(m.group("thousands").replace(",", ".")) * 1_000)
        else:
            found.append(float(re.sub(r"[.,]", "", m.group("dong"))))
    return found


def reference_first_price_mention(text: str) -> float | None:
    """The first of every price found (the old way)."""
    return next(iter(reference_find_price_mentions(text)), None)


def reference_word_matchers_find(self: WordMatchers, text: str) -> dict[str, list[tuple[int, int, str, Any]]]:
    """What ``WordMatchers.find`` finds: each list's own ``find``, one pass per list (the old way)."""
    return {name: list(matcher.find(text)) for name, matcher in self.matchers.items()}


def use_text_step_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """The text steps of ``read_text`` and ``build_text_views`` as they were, in place of the fast ones."""
    monkeypatch.setattr(model.text, "collapse_spaces", reference_collapse_spaces)
    monkeypatch.setattr(model.text, "surface_text", reference_surface_text)
    monkeypatch.setattr(model.text, "_normalize_surface", reference_normalize_surface)
    monkeypatch.setattr(model.identifiers, "find_contact_details", reference_find_contact_details)
    monkeypatch.setattr(model.signals, "find_contact_details", reference_find_contact_details)
    monkeypatch.setattr(model.text, "extract_signals", reference_extract_signals)
    monkeypatch.setattr(model.deobfuscation, "expand_units", reference_expand_units)
    monkeypatch.setattr(model.text_views, "first_price_mention", reference_first_price_mention)
    monkeypatch.setattr(WordMatchers, "find", reference_word_matchers_find)


# Folding and brand reading as they were before the fast path (issue 15), kept as its specification.


def reference_fold(text: str) -> str:
    """Tone marks folded by the definition alone: NFD, every combining mark removed, "đ" as "d", NFC."""
    stripped = model.folding._COMBINING.sub("", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


def reference_find_brands(folded_text: str) -> list[tuple[str, str]]:
    """``find_brands`` by the regex's tokens and a Python test of every distinct pair and word (the old way)."""
    tokens = model.brands._TOKEN.findall(folded_text)
    one, two = model.brands._initials()
    pairs = {}
    for first, second in set(pairwise(tokens)):
        if (first[0], second[0]) in two and (canonical := model.brands.match_brand(f"{first} {second}")):
            pairs[(first, second)] = canonical
    found: dict[tuple[str, str], None] = {}
    used: set[int] = set()
    for i in range(len(tokens) - 1) if pairs else ():
        canonical = pairs.get((tokens[i], tokens[i + 1]))
        if canonical:
            if not model.brands._add_found(found, f"{tokens[i]} {tokens[i + 1]}", canonical):
                return list(found)
            used.update((i, i + 1))
    exact = load_brand_index().exact
    singles = {}
    for token in dict.fromkeys(tokens):
        if (token in exact or (len(token) >= 6 and token[0] in one)) and (canonical := model.brands.match_brand(token)):
            singles[token] = canonical
    for i, token in enumerate(tokens if singles else ()):
        canonical = None if i in used else singles.get(token)
        if canonical and not model.brands._add_found(found, token, canonical):
            break
    return list(found)


def reference_spelled_spans(text: str) -> list[Any]:
    """``_spelled_spans`` reading every mixed word's core afresh and looking for both neighbours of every evasive
    word (the old way)."""
    evasion = model.brand_evasion
    spans: list[Any] = []
    reached = 0
    for start, end in evasion._mixed_words(text):
        before, core, _after = evasion._core(text[start:end])
        first, last = start + len(before), start + len(before) + len(core)
        if not core or first < reached or not evasion._is_evasive_word(core):
            continue
        span = None
        previous = evasion._neighbour(text, first, last, after=False)
        if previous and previous[0] >= reached and (brand := evasion._brand_of_pair(previous[2], core)):
            span = (previous[0], last, f"{previous[2]} {core}", brand)
        following = None if span else evasion._neighbour(text, first, last, after=True)
        if following and (brand := evasion._brand_of_pair(core, following[2])):
            span = (first, following[1], f"{core} {following[2]}", brand)
        if span is None and (brand := evasion._brand_of_word(core)):
            span = (first, last, core, brand)
        if span is not None:
            spans.append((*span, "symbols"))
            reached = span[1]
    return spans


def reference_reveal_brands(folded_text: str) -> tuple[str, list[Any]]:
    """``reveal_brands`` merging the two lists of spans always (the old way)."""
    evasion = model.brand_evasion
    spans = list(heapq.merge(evasion._spelled_spans(folded_text), evasion.hinted_spans(folded_text)))
    if not spans:
        return folded_text, []
    found: dict[str, Any] = {}
    out: list[str] = []
    done = 0
    for first, last, written, brand, how in spans:
        if first < done or (written not in found and len(found) >= model.brands.MAX_BRANDS_FOUND):
            continue
        found.setdefault(written, evasion.EvasiveBrand(written=written, canonical=brand, how=how))
        out += (folded_text[done:first], evasion._fold(brand))
        done = last
    out.append(folded_text[done:])
    return "".join(out), list(found.values())


def use_brand_and_folding_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the old folding and brand reading back (``use_references`` does this too)."""
    monkeypatch.setattr(model.folding, "_fold", reference_fold)
    monkeypatch.setattr(model.folding, "_fold_short", reference_fold)  # folding without its cache
    monkeypatch.setattr(model.brands, "find_brands", reference_find_brands)
    monkeypatch.setattr(model.brand_evasion, "_spelled_spans", reference_spelled_spans)
    monkeypatch.setattr(model.brand_evasion, "reveal_brands", reference_reveal_brands)


def reference_join_columns(blocks: Sequence[sp.csr_matrix], dense: np.ndarray) -> sp.csr_matrix:
    """The feature matrix joined by scipy (the old way; ``_join_columns`` copies each block's entries in place)."""
    return sp.hstack([*blocks, sp.csr_matrix(dense)], format="csr", dtype=np.float32)
