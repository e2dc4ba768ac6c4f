"""The one home of Unicode forms (``model.folding``) and of written prices (``model.money``)."""

from __future__ import annotations

import unicodedata

from model.folding import fold_diacritics, nfc
from model.money import format_vnd, group_thousands


def test_nfc_composes_what_was_decomposed() -> None:
    decomposed = unicodedata.normalize("NFD", "bóng cười")
    assert decomposed != "bóng cười" and nfc(decomposed) == "bóng cười"


def test_folding_drops_marks_and_d_bar_whatever_the_form() -> None:
    assert fold_diacritics("Đồng hồ bóng cười") == "Dong ho bong cuoi"
    assert fold_diacritics(unicodedata.normalize("NFD", "giả")) == "gia"
    long_text = "giả " * 200  # past the cache's length: the same answer, unremembered
    assert fold_diacritics(long_text) == "gia " * 200


def test_prices_are_written_with_dots_between_thousands() -> None:
    assert format_vnd(1_500_000) == "1.500.000 ₫"
    assert format_vnd(999.6) == "1.000 ₫"
    assert group_thousands(1250000) == "1.250.000"
