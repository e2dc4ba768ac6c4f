"""The text patterns of ``read_text`` rewritten for speed in round 2 of issue 15, as they were (for
``tests/model/test_reading_equivalence.py`` and ``tests/model/test_text2_steps.py``)."""

from __future__ import annotations

import re

import pytest

import model.deobfuscation

_LETTER = r"[^\W\d_]"
# ``model.deobfuscation._SPACED_END`` as first written: a space, a letter, a space, a letter, then no more word
REFERENCE_SPACED_END = re.compile(rf" {_LETTER} {_LETTER}(?!\S)")


def use_text2_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the patterns as first written back in place of the fast ones."""
    monkeypatch.setattr(model.deobfuscation, "_SPACED_END", REFERENCE_SPACED_END)
