"""The trie word pattern finds exactly what a plain longest-first alternation finds."""

import re

from hypothesis import given
from hypothesis import strategies as st

from model.patterns import compile_word_pattern

_WORDS = st.lists(st.text(alphabet="abcđó .:1", min_size=1, max_size=6), min_size=1, max_size=12)


def _plain(words: list[str]) -> re.Pattern[str]:
    spellings = sorted(set(words), key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in spellings) + r")(?!\w)")


def test_word_pattern_prefers_the_longest_whole_word() -> None:
    pattern = compile_word_pattern(["bong", "bong cuoi", "cuoi", "1:1", "rep 1:1"])
    assert pattern is not None
    assert pattern.findall("ban bong cuoi, hang rep 1:1 va bongbay") == ["bong cuoi", "rep 1:1"]
    assert compile_word_pattern([]) is None and compile_word_pattern([""]) is None


@given(words=_WORDS, text=st.text(alphabet="abcđó .:1x", max_size=40))
def test_word_pattern_matches_a_plain_alternation(words: list[str], text: str) -> None:
    pattern = compile_word_pattern(words)
    assert pattern is not None
    assert pattern.findall(text) == _plain(words).findall(text)
