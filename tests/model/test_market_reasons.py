"""The price reason appears only when the price features raise the score, with text from the PriceCheck."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.feature_base import Contribution
from model.features import signal_features
from model.market import catalogue as catalogue_module
from model.reading import read_listing
from model.reasons import build_signal_reasons
from model.schema import Listing
from model.text_views import build_text_views

SAMPLE = Path(__file__).parent / "data" / "catalogue_sample"


@pytest.fixture
def sample_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue_module, "CATALOGUE_DIR", SAMPLE)


def signal(name: str, value: float, weight: float) -> Contribution:
    """The contribution of the signal feature ``name`` to the counterfeit score."""
    feature = next(feature for feature in signal_features() if feature.name == name)
    return Contribution("signals", name, value, weight, "counterfeit", feature)


def _reasons(listing: Listing, contributions: list[tuple[str, float, float]]) -> list[str]:
    views = build_text_views(listing, max_description_chars=500, max_segmented_chars=0)
    reading = read_listing(listing, views, None)
    reasons = build_signal_reasons([signal(*row) for row in contributions], reading=reading)
    return [reason.text for reason in reasons if reason.kind == "price"]


@pytest.mark.usefixtures("sample_catalogue")
def test_price_reason_only_when_price_features_raise_the_score() -> None:
    fake = Listing(title="Điện thoại iPhone 15 Pro Max 256GB mới 100% nguyên seal", price=3_000_000)
    raised = [("price_below_catalogue", 2.2, 0.6), ("price_far_below_reference", 1.0, 0.3)]
    texts = _reasons(fake, raised)
    assert texts == [
        "Giá 3.000.000 ₫ cho iPhone 15 Pro Max 256GB mới, bằng khoảng 11% giá chính hãng tham khảo "
        "(27–34 triệu ₫, 2025)."
    ]
    assert _reasons(fake, [("price_below_catalogue", 2.2, -0.6)]) == []
    assert _reasons(fake, [("has_phone", 1.0, 0.6)]) == []


@pytest.mark.usefixtures("sample_catalogue")
def test_no_price_reason_for_a_genuine_price_or_an_unknown_product() -> None:
    raised = [("price_below_catalogue", 0.1, 0.6)]
    assert _reasons(Listing(title="iPhone 15 Pro Max 256GB mới", price=30_000_000), raised) == []
    assert _reasons(Listing(title="Áo thun trơn", price=20_000), raised) == []
    assert _reasons(Listing(title="iPhone 15 Pro Max 256GB mới"), raised) == []


def test_a_brand_written_with_symbols_is_a_reason_in_the_sellers_spelling() -> None:
    listing = Listing(title="Túi D!or Saddle da bò hàng đẹp", price=900_000)
    views = build_text_views(listing, max_description_chars=500, max_segmented_chars=0)
    assert [brand.canonical for brand in views.evasive_brands] == ["Dior"]
    reasons = build_signal_reasons([signal("brand_misspelt", 1.0, 0.4)], reading=read_listing(listing, views, None))
    assert [reason.text for reason in reasons] == [
        "Tên thương hiệu viết lách “D!or” (Dior): viết bằng ký hiệu, chữ số hoặc chữ viết tắt để né bộ lọc, "
        "thường gặp ở hàng nhái."
    ]
