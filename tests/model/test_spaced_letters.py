"""The fast pre-scan for spaced letters ("g u c c i") finds what the pattern as first written finds
(``text_step_references``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import model.deobfuscation
from model.deobfuscation import _SPACED_END, join_separated_letters
from tests.model.text_step_references import REFERENCE_SPACED_END

# spaces, letters (Vietnamese and others), digits, punctuation, emoji and combining marks, in short and long runs
_TEXT = st.text(
    alphabet=st.sampled_from(
        [" ", " ", "\t", "\n", "\xa0", "a", "b", "ó", "Ư", "đ", "ß", "1", "_", ".", "-", "😍", "\u0301"]
    )
    | st.characters(),
    max_size=60,
)


@settings(max_examples=2000)
@given(_TEXT)
def test_spaced_end_finds_what_it_found(text: str) -> None:
    assert [m.span() for m in _SPACED_END.finditer(text)] == [m.span() for m in REFERENCE_SPACED_END.finditer(text)]


@pytest.mark.parametrize(
    "text", ["g u c c i", "b ó n g c ư ờ i", "a b", "x a b", "a b c1", "1 2 3", "_ a b", "áo s m l xl", " a b ", ""]
)
def test_spaced_end_examples(text: str) -> None:
    assert [m.span() for m in _SPACED_END.finditer(text)] == [m.span() for m in REFERENCE_SPACED_END.finditer(text)]


@settings(max_examples=500)
@given(_TEXT)
def test_join_separated_letters_as_with_the_reference(text: str) -> None:
    fast = join_separated_letters(text)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(model.deobfuscation, "_SPACED_END", REFERENCE_SPACED_END)
        assert model.deobfuscation._SPACED_END is REFERENCE_SPACED_END
        assert join_separated_letters(text) == fast
