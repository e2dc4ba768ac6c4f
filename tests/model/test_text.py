"""Text normalisation, diacritic folding and word segmentation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from model.folding import fold_diacritics
from model.text import normalize_text, read_text, segment_words, strip_markup, surface_text


def test_normalize_strips_markup_urls_case_and_repeats() -> None:
    text = "<p>Bán BÓNG   cườiiiii</p> giá 1000000đ xem https://shopee.vn/abc?x=1 nhé"
    assert normalize_text(text) == "bán bóng cười giá 1000000đ xem nhé"


def test_surface_keeps_how_the_text_was_written() -> None:
    text = "<b>SIÊU RẺ!!!</b>   đẹppppp 😍 xem https://shopee.vn/abc nhé"
    assert surface_text(text) == "SIÊU RẺ!!! đẹppppp 😍 xem nhé"
    read = read_text(text)
    assert read.surface == surface_text(text)
    assert read.normalized == normalize_text(read.surface) == "siêu rẻ!!! đẹp 😍 xem nhé"


def test_digits_are_never_collapsed() -> None:
    assert normalize_text("Giá 1000000 đồng, 999k") == "giá 1000000 đồng, 999k"


def test_strip_markup_decodes_entities() -> None:
    assert normalize_text(strip_markup("a&amp;b <br/>c &amp;lt;b&amp;gt;")) == "a & b c"


def test_fold_diacritics_matches_undiacritised_posts() -> None:
    assert fold_diacritics("Bóng cười Đà Nẵng, hàng xịn") == "Bong cuoi Da Nang, hang xin"
    assert fold_diacritics(normalize_text("BÓNG CƯỜI")) == normalize_text("bong cuoi")


def test_segment_words_joins_multi_syllable_words() -> None:
    segmented = segment_words("thuốc lá điện tử giá rẻ")
    assert "_" in segmented
    assert segmented.replace("_", " ") == "thuốc lá điện tử giá rẻ"
    assert segment_words("") == ""


@given(st.text())
def test_normalize_and_fold_never_crash_and_are_stable(text: str) -> None:
    once = normalize_text(text)
    assert isinstance(fold_diacritics(once), str)
    assert normalize_text(once) == once
    assert normalize_text(surface_text(text)) == once
    assert surface_text(surface_text(text)) == surface_text(text)


@given(st.text(alphabet=st.sampled_from(list("&;<>/#ampltgquo xAÁ1 \n\tđ.:w")), max_size=60))
def test_normalize_is_idempotent_on_markup_like_text(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
