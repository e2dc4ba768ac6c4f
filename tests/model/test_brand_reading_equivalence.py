"""The fast folding and brand reading (issue 15) read exactly what the old code read (``brand_references.py``).

Folding (``model.folding._fold``), the brand finder's words (``model.brands._tokens``), ``find_brands`` and
``reveal_brands`` are pure text functions: each is compared with the code it replaced on arbitrary strings (tone
marks precomposed and decomposed, other combining marks, emoji, lone surrogates, digits, punctuation, brand
spellings and their leet and misspelt forms), and ``read_text`` on real listings with all of them put back.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import model.brand_evasion
import model.brands
import model.folding
import model.text
from model.brands import load_brand_index
from tests.model.brand_references import (
    reference_find_brands,
    reference_fold,
    reference_reveal_brands,
    reference_spelled_spans,
)
from tests.model.reading_references import use_references
from training.dataset import SEED_LISTINGS, find_shared_dir, load_listings

_VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđĐÀÁẠĂẮẶÂẦẤẬÊẾỆÔỐỘƠỚỢƯỨỰ"
_ODD = "\u0301\u0300\u0303\u0309\u0323\u0302\u0306\u031b\u0308\u0345\u0340\u036f\u1ab0\u1dc0\u20d0\u20e3\ufe20\ufe0f"
_OTHER = "üçñøåæßœ•–…“”😀👍🏻♪✪ℂ\u200b\u037e\u212a\u00a0한글日本\ud800\udfff"
_TEXT = st.text(alphabet=st.sampled_from(list(_VIETNAMESE + _ODD + _OTHER + "abcdz019 .,-!@$|&'*_\n\t")), max_size=60)


@settings(max_examples=1000, deadline=None)
@given(text=_TEXT | st.text(max_size=40))
def test_folding_equals_the_definition(text: str) -> None:
    assert model.folding._fold(text) == reference_fold(text)
    assert model.folding.fold_diacritics(text) == reference_fold(text)
    decomposed = unicodedata.normalize("NFD", text)  # decomposed input folds the same
    assert model.folding._fold(decomposed) == reference_fold(decomposed)


def test_folding_vietnamese_takes_the_ascii_path_and_other_text_the_definition() -> None:
    # the ASCII path: every character beyond ASCII a mark of U+0300 to U+033F once decomposed
    assert model.folding._fold("Đồng hồ bóng cười Đà Nẵng, hàng xịn 100%") == "Dong ho bong cuoi Da Nang, hang xin 100%"
    # the definition's own steps: emoji, a mark beyond U+033F, a letter of another script, a lone surrogate
    for text in ("áo 😀 đẹp", "a\u0345b", "naïve café", "가나 bóng", "b\ud800ó"):
        assert model.folding._fold(text) == reference_fold(text)


@settings(max_examples=500, deadline=None)
@given(text=_TEXT | st.text(max_size=40))
def test_brand_words_are_the_token_pattern_matches(text: str) -> None:
    assert model.brands._tokens(text) == model.brands._TOKEN.findall(text)


def _brand_words() -> list[str]:
    """Brand spellings, their words, and each with a letter dropped, doubled or changed."""
    words: set[str] = set()
    for spelling in sorted(load_brand_index().exact)[::3]:
        words.update((spelling, *spelling.split()))
        words.update(spelling[:i] + spelling[i + 1 :] for i in range(0, len(spelling), 3))
        words.update(spelling[:i] + spelling[i] + spelling[i:] for i in range(1, len(spelling), 4))
    return sorted(words)


_BRAND_TEXT = st.lists(
    st.sampled_from(_brand_words()) | st.sampled_from(["tui", "ao", "mac", "gia", "xin", "100", "-", ",", "&", "'"]),
    max_size=40,
).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(text=_BRAND_TEXT | _TEXT)
def test_finding_brands_equals_the_old_scan(text: str) -> None:
    assert model.brands.find_brands(text) == reference_find_brands(text)


def test_finding_many_brands_stops_where_the_old_scan_stopped() -> None:
    spellings = sorted(load_brand_index().exact)
    for text in (" ".join(spellings[:80]), " ".join(spelling for spelling in spellings if " " not in spelling)):
        assert len(model.brands.find_brands(text)) == model.brands.MAX_BRANDS_FOUND
        assert model.brands.find_brands(text) == reference_find_brands(text)


def test_a_word_too_long_to_be_a_brand_is_not_remembered() -> None:
    text = f"tui {'x' * 200} gucci"
    assert model.brands.find_brands(text) == reference_find_brands(text) == [("gucci", "Gucci")]
    assert "x" * 200 not in model.brands._word_brands and "gucci" in model.brands._word_brands


def test_the_word_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model.brands, "_word_brands", {})
    monkeypatch.setattr(model.brands, "WORD_BRANDS_SIZE", 5)
    for i in range(40):
        model.brands.find_brands(f"gucci tui {i} w{i}")
        assert len(model.brands._word_brands) <= 5
    assert model.brands.find_brands("tui gucci") == [("gucci", "Gucci")]


_LEET = str.maketrans({"a": "4", "e": "3", "o": "0", "s": "5", "i": "!", "t": "7"})


def _leet_words() -> list[str]:
    """Brand spellings with substitutes and separators, and their words: what ``reveal_brands`` reveals."""
    words: set[str] = set()
    for spelling in sorted(load_brand_index().exact)[::2]:
        words.update((spelling, spelling.translate(_LEET), ".".join(spelling), *spelling.translate(_LEET).split()))
    return sorted(words)


_LEET_TEXT = st.lists(
    st.sampled_from(_leet_words())
    | st.sampled_from(["khoa", "cc", "kinh", "r.b", "tui", "l.v", "a4", "30cm", "sk2", "3ce", "(d!or),", "-", "!"]),
    max_size=30,
).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(text=_LEET_TEXT | st.text(alphabet=st.sampled_from(list("dior!.0134cg ukhoa$@|-*snte")), max_size=50))
def test_revealing_brands_equals_the_old_reading(text: str) -> None:
    assert model.brand_evasion._spelled_spans(text) == reference_spelled_spans(text)
    fast, slow = model.brand_evasion.reveal_brands(text), reference_reveal_brands(text)
    assert fast[0] == slow[0] and fast[1] == slow[1]


def _texts() -> list[str]:
    listings = load_listings(SEED_LISTINGS)[::5][:400]
    shared = find_shared_dir()
    real = shared / "data" / "real-listings" / "tiki_fashion.jsonl" if shared else None
    if real is not None and real.is_file():
        listings += load_listings(real)[:600]
    return [f"{listing.title} {listing.description or ''} {listing.brand or ''}" for listing in listings]


def _reading(text: str) -> Any:
    read = model.text.read_text(text)
    return (read.surface, read.normalized, read.folded, read.signals, read.brands, read.evasive_brands)


def test_reading_listings_equals_the_old_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _texts()
    fast = [_reading(text) for text in texts]
    use_references(monkeypatch)
    slow = [_reading(text) for text in texts]
    assert fast == slow
    assert sum(bool(read[4]) for read in fast) > 20  # brands were found, not only texts without any
