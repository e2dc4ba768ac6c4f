"""The text steps of ``read_text`` made faster (issue 15) give what they gave before, on any string.

Each fast step is compared with the way it was (``tests/model/text_step_references.py``) on arbitrary text: Vietnamese
letters in either form, emoji, combining marks, digits, punctuation, whitespace of every kind, control characters and
the pieces the step looks for. The facts about Unicode that the shortcuts rest on are checked for every character.
"""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

import model.text
from model.deobfuscation import expand_units, find_price_mentions, first_price_mention
from model.identifiers import find_contact_details
from model.patterns import Substrings, WordMatcher, WordMatchers
from model.signals import extract_signals
from model.text import collapse_spaces, strip_markup, surface_text
from tests.model.reading_references import reference_strip_markup
from tests.model.text_step_references import (
    reference_collapse_spaces,
    reference_expand_units,
    reference_extract_signals,
    reference_find_contact_details,
    reference_find_price_mentions,
    reference_first_price_mention,
    reference_normalize_surface,
    reference_surface_text,
)

_CHARACTERS = [
    *"aAáÁạẠăằẮâấđĐeêếệiíoóôốơờuúưứyý bcdghklmnqrstvxwWzZ0123456789.,:;-_*@$!?/<>&#%()[]'\"",
    *" \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2000\u2001\u2007\u200a\u2028\u202f\u3000",  # whitespace
    *"\x00\x08\x0e\x1b\x7f\u200b\u200d\u200e\ufeff\ufe0f",  # control and format characters
    *"\u0300\u0301\u0303\u0309\u0323\u0306\u0302\u031b",  # combining marks (Vietnamese tones, breve, horn)
    *"😀😍🎈💨🏴☠️🔫²٣ǅİẞΣς",  # emoji, digits of other scripts, letters whose case mapping is special
]
_PIECES = [
    *_CHARACTERS,
    "  ",
    "   ",
    "www.",
    "WwW.",
    "http://",
    "&amp;",
    "&lt;b&gt;",
    "<br/>",
    "zalo",
    "zl",
    "fb",
    "line",
    "@",
    "stk",
    "số tk",
    "chuyển khoản",
    "0912 345 678",
    "+84",
    "84",
    "350k",
    "1tr2",
    " tr",
    " k",
    "triệu",
    "nghìn",
    "1.500.000đ",
    "vnd",
    "củ",
    "xịnnnn",
    "đẹppp",
]
# arbitrary text: any character at all, or the pieces the steps look for, in any order
_TEXT = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(_PIECES), max_size=40).map("".join),
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)), max_size=30).map("".join),
)


def _every_character() -> list[str]:
    return [chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF]


def test_unicode_facts_the_shortcuts_rest_on() -> None:
    for ch in _every_character():
        if ch.isspace() and ch != " ":  # collapse_spaces: printable text holds no whitespace but " "
            assert not ch.isprintable(), hex(ord(ch))
        # _normalize_surface: lower case, NFD and NFC make whitespace of whitespace only, and " " starts no
        # composed character (so NFC never joins it to a mark)
        for form in (ch.lower(), unicodedata.normalize("NFD", ch), unicodedata.normalize("NFC", ch)):
            assert any(c.isspace() for c in form) == ch.isspace(), hex(ord(ch))
        assert ch == " " or not unicodedata.normalize("NFD", ch).startswith(" "), hex(ord(ch))
        # strip_markup: only "w" and "W" lower-case to a "w", only "." to a "."
        assert ("w" in ch.lower()) == (ch in "wW") and ("." in ch.lower()) == (ch == "."), hex(ord(ch))
    assert not any(model.text._CONTROL.search(ch) and ch.isprintable() for ch in map(chr, range(128)))


@settings(max_examples=1000, deadline=None)
@given(text=_TEXT)
def test_surface_and_normal_forms_are_as_they_were(text: str) -> None:
    assert collapse_spaces(text) == reference_collapse_spaces(text)
    assert strip_markup(text) == reference_strip_markup(text)
    surface = surface_text(text)
    assert surface == reference_surface_text(text)
    assert model.text._normalize_surface(surface) == reference_normalize_surface(surface)


@settings(max_examples=1000, deadline=None)
@given(text=_TEXT)
def test_contact_details_units_and_prices_are_as_they_were(text: str) -> None:
    lowered = text.lower()
    assert find_contact_details(lowered) == reference_find_contact_details(lowered)
    assert extract_signals(lowered) == reference_extract_signals(lowered)
    assert expand_units(lowered) == reference_expand_units(lowered)
    assert find_price_mentions(lowered) == reference_find_price_mentions(lowered)
    assert first_price_mention(lowered) == reference_first_price_mention(lowered)


def test_prices_read_from_where_each_number_ends() -> None:
    assert find_price_mentions("giá 1tr2 hoặc 350k, 5tr, 9k, 1.500.000đ, 12.000 vnd, 2,5 củ") == [
        1_200_000,
        350_000,
        5_000_000,
        9_000,
        1_500_000,
        12_000,
        2_500_000,
    ]
    assert first_price_mention("size 38, giá 7 nghìn rồi 8k") == 7_000
    assert first_price_mention("size 38-42, 100ml") is None


_STRINGS = st.lists(st.text(alphabet="abcđó .:1_@", min_size=0, max_size=4), max_size=8)


@given(lists=st.dictionaries(st.sampled_from(["x", "y", "z"]), _STRINGS), text=st.text("abcđó .:1_@", max_size=40))
def test_substrings_say_which_lists_have_a_string_in_the_text(lists: dict[str, list[str]], text: str) -> None:
    present = Substrings.build(lists).present(text)
    assert present == {name for name, strings in lists.items() if any(s and s in text for s in strings)}


@given(
    lists=st.dictionaries(
        st.sampled_from(["x", "y"]), st.dictionaries(st.text("abcđó .:1_", max_size=5), st.integers())
    ),
    text=st.text(alphabet="abcđó .:1x_\u00b2", max_size=40),
)
def test_word_lists_found_together_as_each_alone(lists: dict[str, dict[str, int]], text: str) -> None:
    matchers = {name: WordMatcher.build(words) for name, words in lists.items()}
    together = WordMatchers.build(matchers).find(text)
    assert together == {name: list(matcher.find(text)) for name, matcher in matchers.items()}
