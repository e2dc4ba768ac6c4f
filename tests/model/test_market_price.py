"""Matching listings to catalogue products, neighbour prices, the price check and its reason text."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from model.features import PRICE_FEATURE_NAMES, build_price_features
from model.market.catalogue import Catalogue, load_catalogue
from model.market.match import match_product
from model.market.neighbours import NeighbourTable, fit_neighbour_table, title_tokens
from model.market.reference import PriceCheck, check_price, normalize_title
from model.reasons import build_price_reason, describe_price_check, format_vnd_range
from model.schema import Listing
from model.text_views import build_text_views

SAMPLE = Path(__file__).parent / "data" / "catalogue_sample"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(SAMPLE)


def _check(catalogue: Catalogue, listing: Listing, table: NeighbourTable | None = None) -> PriceCheck | None:
    views = build_text_views(listing, max_description_chars=500, max_segmented_chars=0)
    return check_price(listing, views, table, catalogue=catalogue)


def _match(catalogue: Catalogue, title: str, brand: str | None = None) -> str | None:
    found = match_product(normalize_title(title), brand, catalogue)
    return found.product.id if found else None


@pytest.mark.parametrize(
    "title",
    [
        "Ốp lưng iPhone 15 Pro Max silicon",
        "Kính cường lực iPhone 15 Pro Max",
        "Sạc nhanh 20W cho iPhone 15 Pro Max",
        "Cáp sạc iPhone 15 Pro Max",
        "Dây đeo điện thoại iPhone 15 Pro Max",
        "Miếng dán camera iPhone 15 Pro Max",
        "Hộp đựng iPhone 15 Pro Max",
        "Vỏ iPhone 15 Pro Max",
        "Bao da dành cho iPhone 15 Pro Max",
        "Giá đỡ tương thích iPhone 15 Pro Max",
        "Nước hoa chiết 10ml Dior Sauvage EDP",
    ],
)
def test_accessories_do_not_match_their_device(catalogue: Catalogue, title: str) -> None:
    assert _match(catalogue, title) is None


def test_alias_variant_and_brand(catalogue: Catalogue) -> None:
    assert _match(catalogue, "IP 15 Pro Max 512GB mới") == "apple-iphone-15-pro-max-512gb"
    assert _match(catalogue, "iPhone 15 Pro Max 1TB") == "apple-iphone-15-pro-max-1tb"
    # no variant written: the cheapest of the line (a dearer variant would raise false alarms)
    assert _match(catalogue, "iphone 15 pro max chính hãng") == "apple-iphone-15-pro-max-256gb"
    # the longest alias wins: "iphone 15 pro max", not "iphone 15"
    assert _match(catalogue, "iPhone 15 Pro Max 256GB") == "apple-iphone-15-pro-max-256gb"
    assert _match(catalogue, "Rượu Hennessy XO 1.5l") == "hennessy-xo-1500ml"
    assert _match(catalogue, "Rượu Hennessy XO 70cl") == "hennessy-xo-700ml"
    # another brand's "15 Pro Max" is not Apple's
    assert _match(catalogue, "Xiaomi 15 Pro Max", brand="Xiaomi") is None
    assert _match(catalogue, "Áo thun trơn") is None
    # a size the catalogue does not price is not its cheapest size
    assert _match(catalogue, "Nước hoa Dior Sauvage EDP travel 3x10ml") is None
    # the title names another brand's product than the listing's brand: nothing
    assert _match(catalogue, "Hennessy XO 700ml", brand="Chivas Regal") is None
    # goods of another kind than the product's: a shirt printed with a cognac's name, a dummy phone
    assert _match(catalogue, "Áo thun in logo Hennessy XO") is None
    assert _match(catalogue, "Mô hình iPhone 15 Pro Max trưng bày") is None
    assert _match(catalogue, "Rượu Hennessy XO 700ml") == "hennessy-xo-700ml"
    assert _match(catalogue, "Điện thoại iPhone 15 Pro Max 256GB") == "apple-iphone-15-pro-max-256gb"


def test_iphone_at_a_tenth_of_its_price_is_flagged_with_the_reason(catalogue: Catalogue) -> None:
    listing = Listing(title="iPhone 15 Pro Max 256GB mới 100% nguyên seal", price=3_000_000)
    check = _check(catalogue, listing)
    assert check is not None and check.source == "catalogue" and check.condition.state == "new"
    assert check.product_id == "apple-iphone-15-pro-max-256gb" and not check.used_reference
    assert check.log_ratio == pytest.approx(math.log(3 / 27))
    features = dict(zip(PRICE_FEATURE_NAMES, build_price_features(check), strict=True))
    assert features["price_far_below_reference"] == 1 and features["price_source_catalogue"] == 1
    assert features["price_below_catalogue"] == pytest.approx(math.log(9))
    assert features["condition_new_claimed"] == 1
    assert describe_price_check(check) == (
        "Giá 3.000.000 ₫ cho iPhone 15 Pro Max 256GB mới, bằng khoảng 11% giá chính hãng tham khảo "
        "(27–34 triệu ₫, 2025)."
    )
    reason = build_price_reason(check, label="counterfeit", weight=0.7)
    assert reason is not None and reason.kind == "price" and reason.evidence == "3.000.000 ₫"


def test_genuine_used_iphone_with_bill_at_a_used_price_is_not_flagged(catalogue: Catalogue) -> None:
    listing = Listing(title="iPhone 15 Pro Max 256GB cũ, fullbox có bill", price=17_000_000)
    check = _check(catalogue, listing)
    assert check is not None and check.used_reference and check.condition.receipt
    assert check.reference_low_vnd == 15_000_000 and check.log_ratio > 0
    features = dict(zip(PRICE_FEATURE_NAMES, build_price_features(check), strict=True))
    assert features["price_far_below_reference"] == 0 and features["price_below_catalogue"] < 0
    assert features["condition_used"] == 1
    assert build_price_reason(check, label="counterfeit", weight=0.7) is None


def test_price_per_unit_with_quantity_in_the_reason(catalogue: Catalogue) -> None:
    check = _check(catalogue, Listing(title="Thuốc lá Marlboro đỏ cây 10 bao", price=250_000))
    assert check is not None and check.quantity.count == 10 and check.unit_price_vnd == 25_000
    assert describe_price_check(check) == (
        "Giá 250.000 ₫ cho Marlboro Red 20 điếu (1 cây 10 bao: 25.000 ₫/bao), bằng khoảng 71% giá chính hãng "
        "tham khảo (35–45 nghìn ₫, 2025)."
    )
    features = dict(zip(PRICE_FEATURE_NAMES, build_price_features(check), strict=True))
    assert features["log_quantity"] == pytest.approx(math.log(10))


def test_no_price_or_unknown_product_gets_no_check(catalogue: Catalogue) -> None:
    assert _check(catalogue, Listing(title="iPhone 15 Pro Max 256GB mới")) is None
    assert _check(catalogue, Listing(title="Áo thun trơn cotton", price=99_000)) is None
    assert build_price_reason(None, label="counterfeit", weight=1.0) is None
    features = dict(zip(PRICE_FEATURE_NAMES, build_price_features(None), strict=True))
    assert features["price_source_none"] == 1 and sum(features.values()) == 1


def test_neighbour_median_with_its_count() -> None:
    titles = [f"Túi Gucci Marmont da bò size {n}" for n in (20, 22, 24, 26, 28)]
    table = fit_neighbour_table(
        [("Gucci", title, price) for title, price in zip(titles, [40e6, 42e6, 45e6, 50e6, 60e6], strict=True)]
    )
    found = table.nearest("Gucci", title_tokens("Túi xách Gucci Marmont da bò"))
    assert found is not None and found.count == 5 and found.median_price_vnd == 45e6
    assert table.nearest("Gucci", title_tokens("Kính mát Gucci")) is None  # too few similar titles
    assert table.nearest("Chanel", title_tokens("Túi Chanel Marmont")) is None  # other brands are not neighbours
    again = NeighbourTable.from_dict(table.to_dict())
    assert again.nearest("Gucci", title_tokens("Túi xách Gucci Marmont da bò")) == found
    assert len(NeighbourTable.from_dict({"Gucci": 17.5})) == 0  # an older artifact's brand medians


def test_neighbour_check_and_its_reason(catalogue: Catalogue) -> None:
    titles = [f"Túi Gucci Marmont da bò size {n}" for n in (20, 22, 24, 26, 28)]
    table = fit_neighbour_table([("Gucci", title, 45e6) for title in titles])
    check = _check(catalogue, Listing(title="Túi Gucci Marmont da bò", price=5_400_000), table)
    assert check is not None and check.source == "neighbours" and check.n_neighbours == 5
    assert describe_price_check(check) == (
        "Giá 5.400.000 ₫, bằng khoảng 12% giá trung vị của 5 tin tương tự cùng hãng Gucci (45.000.000 ₫)."
    )


def test_accessories_are_neighbours_of_accessories_only(catalogue: Catalogue) -> None:
    straps = [(f"Dây đeo Apple Watch silicon màu {c}", 150e3) for c in ("đen", "trắng", "xanh", "đỏ")]
    watches = [(f"Apple Watch Series 9 GPS 45mm màu {c}", 9e6) for c in ("đen", "trắng", "xanh", "đỏ")]
    table = fit_neighbour_table([("Apple", title, price) for title, price in straps + watches])
    strap = _check(catalogue, Listing(title="Dây đeo Apple Watch silicon", price=120e3), table)
    watch = _check(catalogue, Listing(title="Apple Watch Series 9 GPS 45mm", price=1.2e6), table)
    assert strap is not None and strap.reference_low_vnd == 150e3
    assert watch is not None and watch.reference_low_vnd == 9e6


def test_neighbour_table_is_capped_per_brand() -> None:
    table = fit_neighbour_table(
        ((("Nike", f"Giày Nike Air Force {i}", 1e6 + i)) for i in range(1000)), per_brand_cap=50
    )
    assert len(table) == 50


def test_ranges_are_written_the_vietnamese_way() -> None:
    assert format_vnd_range(27e6, 34e6) == "27–34 triệu ₫"
    assert format_vnd_range(1.5e6, 2e6) == "1,5–2 triệu ₫"
    assert format_vnd_range(35e3, 45e3) == "35–45 nghìn ₫"


@pytest.mark.parametrize(
    "unit",
    ["iphone 15 pro max ", "cay 10 bao x3 combo 2 ", "ốp lưng cho ", "mới 100% có bill không ", "256gb 0.7l 900g "],
)
def test_price_check_of_hostile_text_is_linear(catalogue: Catalogue, unit: str) -> None:
    """A 100k-character listing costs about ten times a 10k one (CPU time, generous bound): no blow-up."""
    import time

    table = fit_neighbour_table([("Apple", f"iPhone 15 Pro Max {n}GB", 30e6) for n in (128, 256, 512)])

    def cost(chars: int) -> float:
        text = (unit * (chars // len(unit) + 1))[:chars]
        listing = Listing.model_construct(title=text, description=text, brand="Apple", price=1e6, labels=[])
        views = build_text_views(listing, max_description_chars=chars, max_segmented_chars=0)
        started = time.process_time()
        check_price(listing, views, table, catalogue=catalogue)
        return time.process_time() - started

    small = min(cost(10_000) for _ in range(3))
    large = min(cost(100_000) for _ in range(2))
    assert large < 30 * small + 0.05, (large, small)
