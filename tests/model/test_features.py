"""Metadata and signal features: missing values are explicit, never read as zero."""

from __future__ import annotations

import numpy as np
import pytest

from model.brands import load_brand_index
from model.features import build_signal_features, signal_feature_names
from model.metadata_features import (
    METADATA_FEATURE_NAMES,
    build_metadata_features,
    build_metadata_matrix,
    ships_from_abroad,
)
from model.schema import Listing
from model.text_views import build_listing_text, build_text_views


def _features(listing: Listing) -> dict[str, float]:
    return dict(zip(METADATA_FEATURE_NAMES, build_metadata_features(listing), strict=True))


def test_missing_metadata_sets_indicators_not_zeros() -> None:
    missing = _features(Listing(title="x"))
    assert missing["price_missing"] == 1 and missing["account_age_missing"] == 1
    assert missing["official_missing"] == 1 and missing["official_false"] == 0
    assert missing["abroad_missing"] == 1 and missing["platform_missing"] == 1
    known = _features(Listing(title="x", price=0, seller={"account_age_days": 0, "is_official": False}))
    assert known["price_missing"] == 0 and known["log_price"] == 0
    assert known["account_age_missing"] == 0 and known["account_new"] == 1
    assert known["official_false"] == 1 and known["official_missing"] == 0


def test_seller_signals_and_platform() -> None:
    features = _features(
        Listing(
            title="x",
            platform="Shopee",
            ships_from="Nước ngoài",
            seller={"follower_count": 3, "rating": 5, "is_official": True},
        )
    )
    assert features["platform_shopee"] == 1 and features["abroad_true"] == 1
    assert features["followers_few"] == 1 and features["rating"] == 1.0 and features["official_true"] == 1


def test_ships_from_abroad() -> None:
    assert ships_from_abroad("Trung Quốc") is True
    assert ships_from_abroad("Hà Nội") is False
    assert ships_from_abroad(None) is None


def test_matrix_shape_and_listing_text() -> None:
    matrix = build_metadata_matrix([Listing(title="a"), Listing(title="b", price=10)])
    assert matrix.shape == (2, len(METADATA_FEATURE_NAMES)) and matrix.dtype == np.float32
    text = build_listing_text(Listing(title="Tiêu đề", brand="Rolex", description="x" * 50), max_description_chars=10)
    assert text == "Tiêu đề . Rolex . " + "x" * 10


def test_brand_signals_misspelling_and_price_below_any_genuine_item(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(load_brand_index().min_price_vnd, "Rolex", 100_000_000.0)
    names = signal_feature_names()

    def signals(listing: Listing) -> dict[str, float]:
        views = build_text_views(listing, max_description_chars=500, max_segmented_chars=0)
        return dict(zip(names, build_signal_features(listing, views, None), strict=True))

    fake = signals(Listing(title="Đồng hồ Rolexx Submariner giá 1tr5"))
    assert fake["brand_misspelt"] == 1.0 and fake["price_below_brand_min"] > 0
    genuine = signals(Listing(title="Đồng hồ Rolex Submariner chính hãng", price=250_000_000))
    assert genuine["brand_misspelt"] == 0.0 and genuine["price_below_brand_min"] <= 0
    unpriced = signals(Listing(title="Đồng hồ Rolex Submariner"))
    assert unpriced["price_source_none"] == 1.0


def test_a_new_unofficial_seller_of_a_known_brand() -> None:
    def branded(**seller: object) -> float:
        return _features(Listing(title="Đồng hồ", brand="ROLEX", seller=seller))["new_seller_branded"]

    assert branded(account_age_days=5, is_official=False) == 1.0
    assert branded(account_age_days=5) == 1.0  # not known to be official
    assert branded(account_age_days=5, is_official=True) == 0.0
    assert branded(account_age_days=30, is_official=False) == 0.0
    assert branded(is_official=False) == 0.0  # the account's age is unknown: never read as new
    unbranded = Listing(title="Đồng hồ", brand="Không thương hiệu", seller={"account_age_days": 5})
    assert _features(unbranded)["new_seller_branded"] == 0.0
    assert _features(Listing(title="Đồng hồ", seller={"account_age_days": 5}))["new_seller_branded"] == 0.0
