"""Brands written evasively: digits and symbols in the name, abbreviations hinted in context, Vietnamese words that
fold to a brand's spelling; and reading them stays linear in the text."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import brand_evasion
from model.brand_evasion import reveal_brands, written_form
from model.brand_hints import load_brand_hints
from model.text import ReadText, read_text


def _brands(text: str) -> set[str]:
    return {canonical for _written, canonical in read_text(text).brands}


def _evasive(text: str) -> dict[str, str]:
    """canonical brand -> how it was written evasively ("symbols" or "hint")."""
    return {brand.canonical: brand.how for brand in read_text(text).evasive_brands}


def _assert_evasive(text: str, brand: str, how: str, as_written: str) -> ReadText:
    """``text`` names ``brand``, evasively (``how``), written as ``as_written``; the reading, for more checks."""
    read = read_text(text)
    assert brand in {canonical for _written, canonical in read.brands}
    (evasive,) = [b for b in read.evasive_brands if b.canonical == brand]
    assert evasive.how == how
    assert written_form(evasive, text) == as_written
    return read


@pytest.mark.parametrize(
    ("text", "brand", "as_written"),
    [
        ("Áo khoác St0ne 1sland mới", "Stone Island", "St0ne 1sland"),
        ("Túi D!or chính hãng", "Dior", "D!or"),
        ("Túi Chan3l đen", "Chanel", "Chan3l"),
        ("Ví G.U.C.C.I nam", "Gucci", "G.U.C.C.I"),
        ("Giày 4dida5 ultraboost", "Adidas", "4dida5"),
        ("Đồng hồ r0lex submariner", "Rolex", "r0lex"),
        ("Áo 0ff Wh1te 2020", "Off-White", "0ff Wh1te"),
    ],
)
def test_digits_and_symbols_inside_brand_names_are_read_as_the_brand(text: str, brand: str, as_written: str) -> None:
    _assert_evasive(text, brand, "symbols", as_written)


@pytest.mark.parametrize(
    ("text", "brand", "as_written"),
    [
        ("Túi L.V monogram mới", "Louis Vuitton", "L.V"),
        ("Khoá CC mạ vàng", "Chanel", "CC"),
        ("túi xách khóa cc da bò", "Chanel", "cc"),
        ("Kính R.B aviator", "Ray-Ban", "R.B"),
        ("Ví G.G nâu", "Gucci", "G.G"),
        ("Áo len TB 4 sọc", "Thom Browne", "TB"),
    ],
)
def test_abbreviations_are_brands_beside_their_goods(text: str, brand: str, as_written: str) -> None:
    read = _assert_evasive(text, brand, "hint", as_written)
    assert fold_brand(brand) in read.folded


def fold_brand(brand: str) -> str:
    return {"Louis Vuitton": "louis vuitton", "Ray-Ban": "ray-ban", "Thom Browne": "thom browne"}.get(
        brand, brand.lower()
    )


@pytest.mark.parametrize(
    "text",
    [
        "Xe máy 110 cc đời 2020",
        "Sandal nhựa quai ngang cc chất cao su",
        "Gửi cc cho mình nhé",
        "rb 2024 chạy bộ",
        "gg ez",
        "Set 10 túi bọc thẻ cccd trong suốt",
        "Ví Da Mini Hàng Hiệu SK1-1",
    ],
)
def test_abbreviations_and_codes_without_context_are_no_brand(text: str) -> None:
    assert _brands(text) == set()


def test_model_numbers_and_codes_never_become_brands() -> None:
    read = read_text("iphone 15 pro max 256gb")
    assert read.brands == (("iphone", "Apple"),) and read.evasive_brands == ()
    assert read.folded == "apple 15 pro max 256gb"
    assert _brands("loa mp3 4g 5s b12 a7 k55 1:1 f1") == set()
    assert _brands("Samsung Galaxy S4 cũ") == {"Samsung"}


def test_brands_written_as_known_spellings_are_not_evasive() -> None:
    text = "Túi LV chính hãng, giày Nike, son 3CE, cà phê G7"
    assert _evasive(text) == {}
    assert {"Louis Vuitton", "Nike", "3CE", "Trung Nguyên"} <= _brands(text)


def test_a_vietnamese_word_that_folds_to_a_brand_is_not_the_brand() -> None:
    assert _brands("Áo giữ nhiệt nam mặc nhà, mác thêu") == set()  # "mặc", "mác" fold to "mac"
    assert _brands("Son MAC Ruby Woo") == {"MAC"}
    assert _brands("mặc đẹp với son mac") == {"MAC"}  # written without marks once: may be the brand
    assert _brands("Túi Hermès Birkin") == {"Hermès"}  # a brand's own marks are its spelling


def test_reveal_leaves_text_without_tricks_alone() -> None:
    assert reveal_brands("tui xach da bo, gia 350 nghin") == ("tui xach da bo, gia 350 nghin", [])
    text, found = reveal_brands("(d!or), khoa cc.")
    assert text == "(dior), khoa chanel." and [b.written for b in found] == ["d!or", "cc"]


def test_hints_are_data_and_must_name_a_known_brand(tmp_path: Path) -> None:
    path = tmp_path / "hints.json"
    path.write_text(json.dumps({"hints": [{"brand": "Nope", "abbreviations": ["np"], "context": ["túi"]}]}))
    with pytest.raises(ValueError, match="Nope"):
        load_brand_hints.__wrapped__(path)
    path.write_text(json.dumps({"hints": [{"brand": "Gucci", "abbreviations": ["gc"], "context": ["Túi"]}]}))
    table = load_brand_hints.__wrapped__(path).abbreviations
    assert table["g.c"] == table["gc"] == ("Gucci", frozenset({"tui"}))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("dior!.0134cg ukhoaátúi$@|-*")), max_size=40))
def test_reading_evasive_text_never_crashes_and_stays_idempotent(text: str) -> None:
    once = read_text(text)
    assert read_text(once.normalized).normalized == once.normalized
    assert len(once.evasive_brands) <= 16


def _cpu_ms(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        # cold caches each time: a warm cache would favour the small text, whose distinct words all fit in it
        brand_evasion._brand_of_word.cache_clear()
        brand_evasion._brand_of_pair.cache_clear()
        started = time.process_time()
        read_text(text)
        best = min(best, (time.process_time() - started) * 1000)
    return best


def _unique_leet_words(n: int) -> str:
    words, size, i = [], 0, 0
    while size < n:
        word = f"d{i % 7}!{i}r.{i % 3}"
        words.append(word)
        size, i = size + len(word) + 1, i + 1
    return " ".join(words)[:n]


HOSTILE = {
    "d!0r.1 repeated": lambda n: ("d!0r.1" * (n // 6 + 1))[:n],
    "d!0r.1 words": lambda n: ("d!0r.1 " * (n // 7 + 1))[:n],
    "d!or words": lambda n: ("d!or " * (n // 5 + 1))[:n],
    "hints in context": lambda n: ("khóa cc túi l.v kính r.b " * (n // 25 + 1))[:n],
    "abbreviations without context": lambda n: ("cc gg rb tb " * (n // 12 + 1))[:n],
    "pairs": lambda n: ("st0ne 1sland " * (n // 13 + 1))[:n],
    "distinct leet words": _unique_leet_words,
}


@pytest.mark.parametrize("family", sorted(HOSTILE))
def test_evasive_brand_reading_is_linear_in_the_text(family: str) -> None:
    # the same bound as tests/model/test_linear_time.py: 4x the input, at most 8x the CPU time (plus timer slack)
    build = HOSTILE[family]
    small, large = _cpu_ms(build(50_000)), _cpu_ms(build(200_000))
    assert large <= 8.0 * small + 2.0, f"{family}: {small:.1f} ms -> {large:.1f} ms for 4x the text"


def test_a_200k_flood_of_leet_reads_whole_and_finds_the_brand_once() -> None:
    read = read_text(HOSTILE["d!or words"](200_000))
    assert read.brands == (("dior", "Dior"),)
    assert [b.written for b in read.evasive_brands] == ["d!or"]
    read = read_text(HOSTILE["d!0r.1 repeated"](200_000))
    assert read.brands == () and read.evasive_brands == ()
