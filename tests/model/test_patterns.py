"""The Aho–Corasick word matcher finds exactly what a plain longest-first alternation (and the trie regex it
replaced, ``reference_word_pattern``) finds."""

import re

from hypothesis import given
from hypothesis import strategies as st

from model.patterns import WordMatcher
from tests.model.reading_references import reference_word_pattern

_WORDS = st.lists(st.text(alphabet="abcđó .:1_", min_size=1, max_size=6), min_size=1, max_size=12)


def _plain(words: list[str]) -> re.Pattern[str]:
    spellings = sorted(set(words), key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in spellings) + r")(?!\w)")


def test_matcher_prefers_the_longest_whole_word() -> None:
    matcher = WordMatcher.build(["bong", "bong cuoi", "cuoi", "1:1", "rep 1:1"])
    found = list(matcher.find("ban bong cuoi, hang rep 1:1 va bongbay"))
    assert [word for _start, _end, word, _value in found] == ["bong cuoi", "rep 1:1"]
    assert [(start, end) for start, end, _word, _value in found] == [(4, 13), (20, 27)]
    assert list(WordMatcher.build([]).find("bong")) == [] == list(WordMatcher.build([""]).find("bong"))


def test_matcher_carries_values_and_replaces() -> None:
    matcher = WordMatcher.build({"ko": "không", "sp": "sản phẩm"})
    assert list(matcher.find("sp ko")) == [(0, 2, "sp", "sản phẩm"), (3, 5, "ko", "không")]
    assert matcher.replace("sp ko đẹp, kosp, ko_") == "sản phẩm không đẹp, kosp, ko_"
    assert matcher.replace("không có gì") == "không có gì"


@given(words=_WORDS, text=st.text(alphabet="abcđó .:1x_\u00b2", max_size=40))
def test_matcher_matches_a_plain_alternation_and_the_trie(words: list[str], text: str) -> None:
    found = [(start, end, word) for start, end, word, _value in WordMatcher.build(words).find(text)]
    plain = [(m.start(1), m.end(1), m.group(1)) for m in _plain(words).finditer(text)]
    trie = reference_word_pattern(words)
    assert trie is not None
    assert found == plain == [(m.start(1), m.end(1), m.group(1)) for m in trie.finditer(text)]
