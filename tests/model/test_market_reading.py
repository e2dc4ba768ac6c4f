"""Variants, quantities and condition read from listing text; bounded, linear reading of hostile text."""

from __future__ import annotations

import time

import pytest

from model.market.condition import Condition, read_condition
from model.market.quantity import Quantity, Variant, parse_variant, read_quantity, read_variants


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("iphone 15 pro max 256gb", Variant("storage", 256.0)),
        ("macbook 1tb", Variant("storage", 1024.0)),
        ("nuoc hoa dior 100ml", Variant("volume", 100.0)),
        ("ruou hennessy 0.7l", Variant("volume", 700.0)),
        ("ruou hennessy 0,7 l", Variant("volume", 700.0)),
        ("chivas 700 ml", Variant("volume", 700.0)),
        ("chivas 70cl", Variant("volume", 700.0)),
        ("sua aptamil 900g", Variant("weight", 900.0)),
        ("sua similac 1.7kg", Variant("weight", 1700.0)),
        ("marlboro 20 dieu", Variant("pack", 20.0)),
        ("apple watch 45mm", Variant("size", 45.0)),
        ("travel spray 3x20ml", Variant("volume", 20.0)),
    ],
)
def test_variants(text: str, expected: Variant) -> None:
    assert expected in read_variants(text)


def test_catalogue_variant_strings_parse_like_text() -> None:
    assert parse_variant("256GB") == Variant("storage", 256.0)
    assert parse_variant("0.7l") == parse_variant("700ml") == Variant("volume", 700.0)
    assert parse_variant("20 điếu") == Variant("pack", 20.0)
    assert parse_variant("") is None


@pytest.mark.parametrize(
    ("text", "unit", "count"),
    [
        ("marlboro do cay 10 bao", "bao", 10),
        ("thuoc la marlboro 1 cay", "bao", 10),
        ("2 cay marlboro", "bao", 20),
        ("esse cay 10 goi", "bao", 10),
        ("bia heineken thung 24 lon", "lon", 24),
        ("2 thung 24 lon", "lon", 48),
        ("sua loc 4 hop", "hộp", 4),
        ("combo 3 hop sua", "hộp", 3),
        ("set 5 mon", "bộ", 5),
        ("combo 5 cuon sach", "cuốn", 5),
        ("hennessy xo x3", "chai", 3),
        ("2 chai hennessy xo", "chai", 2),
        ("3 hop aptamil", "hộp", 3),
        ("vien uong hop 30 vien", "hộp", 1),
        ("son 3ce 1 cay", "chiếc", 1),
        ("iphone x 64gb", "chiếc", 1),
        ("hennessy xo 700ml", "chai", 1),
        ("", "chai", 1),
        ("marlboro gia 138 nghin mot cay, lay tu 10 cay bot them", "bao", 10),
        ("thung 24 lon", "lon", 24),
    ],
)
def test_quantities(text: str, unit: str, count: int) -> None:
    assert read_quantity(text, unit).count == count


def test_quantity_note_says_how_it_was_read() -> None:
    assert read_quantity("marlboro do cay 10 bao", "bao") == Quantity(10, "1 cây 10 bao")
    assert read_quantity("combo 3", "chai") == Quantity(3, "combo 3")
    assert read_quantity("nothing here", "chai") == Quantity()


@pytest.mark.parametrize(
    ("text", "state", "receipt"),
    [
        ("iphone 15 pro max cũ fullbox có bill", "used", True),
        ("fullbox có bill", "used", True),
        ("hàng đã qua sử dụng", "used", False),
        ("da qua su dung con bao hanh", "used", False),
        ("pass lại túi", "used", False),
        ("giày 2hand", "used", False),
        ("secondhand", "used", False),
        ("thanh lý đồng hồ", "used", False),
        ("like new 99%", "used", False),
        ("mới 99%", "used", False),
        ("mới 100% nguyên seal", "new", False),
        ("new seal chưa kích hoạt", "new", False),
        ("full box mới", "new", False),
        ("giá 3 củ", "unknown", False),
        ("hàng loại 1 giống auth 99%", "unknown", False),
        ("mới 100%, không có hóa đơn", "new", False),
        ("máy còn 95% có hóa đơn", "used", True),  # "củ" (a million đồng) is not "cũ"
        ("iphone 15 pro max", "unknown", False),
    ],
)
def test_condition(text: str, state: str, receipt: bool) -> None:
    assert read_condition(text) == Condition(state=state, receipt=receipt)  # type: ignore[arg-type]


def _seconds(function, text: str) -> float:  # type: ignore[no-untyped-def]
    started = time.process_time()
    function(text)
    return time.process_time() - started


@pytest.mark.parametrize(
    "hostile",
    [
        "1" * 100_000,
        "1." * 50_000,
        "x1 " * 33_000,
        "cay " * 25_000,
        "combo 1" * 14_000,
        "256gb " * 16_000,
        "mới " * 25_000,
        "0,0,0," * 16_000,
    ],
)
def test_hostile_text_reads_in_linear_time(hostile: str) -> None:
    """100k characters read in about ten times the CPU time of 10k (a generous bound: no backtracking blow-up)."""
    readers = [read_variants, lambda t: read_quantity(t, "bao"), read_condition]
    for reader in readers:
        small = min(_seconds(reader, hostile[:10_000]) for _ in range(3))
        large = min(_seconds(reader, hostile) for _ in range(2))
        assert large < 30 * small + 0.05, (reader, large, small)
