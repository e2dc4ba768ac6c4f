"""Metadata features: what the crawler saw of the listing besides its text (price, seller, counts, platform).

Missing metadata is never read as zero: every numeric signal has a "missing" indicator beside it, and booleans
are one-hot over true / false / missing. Each feature is a ``Feature`` of one registry, ``METADATA_FEATURES``:
its name, how it is computed from the ``Listing`` and how it explains itself to a reviewer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from model.brands import brand_of
from model.explanations import Indicator, Measure, NewSellerBrand, Silent
from model.feature_base import Feature
from model.reasons import format_vnd
from model.schema import PLATFORMS, Listing
from model.text import normalize_text

_ABROAD = (
    "nước ngoài",
    "nuoc ngoai",
    "trung quốc",
    "trung quoc",
    "quốc tế",
    "overseas",
    "china",
    "hàn quốc",
    "nhật bản",
    "thái lan",
    "mỹ",
    "hong kong",
    "hồng kông",
    "đài loan",
    "singapore",
    "malaysia",
)


def ships_from_abroad(ships_from: str | None) -> bool | None:
    """True when the listing ships from outside Vietnam, None when unknown."""
    if not ships_from:
        return None
    place = normalize_text(ships_from)
    return any(marker in place for marker in _ABROAD)


def _seller(field: str) -> Callable[[Listing], Any]:
    return lambda listing: getattr(listing.seller, field) if listing.seller else None


def _field(field: str) -> Callable[[Listing], Any]:
    return lambda listing: getattr(listing, field)


def _log(get: Callable[[Listing], float | None]) -> Callable[[Listing], float]:
    """log1p of a known value, 0 for a missing one (its "missing" indicator says which)."""
    return lambda listing: 0.0 if (value := get(listing)) is None else math.log1p(max(value, 0.0))


def _missing(get: Callable[[Listing], object]) -> Callable[[Listing], float]:
    return lambda listing: float(get(listing) is None)


def _is(get: Callable[[Listing], object], state: bool | None) -> Callable[[Listing], float]:
    """One part of the (true, false, missing) one-hot of an optional boolean."""
    return lambda listing: float(get(listing) is state)


def _below_count(get: Callable[[Listing], int | None], limit: int) -> Callable[[Listing], float]:
    return lambda listing: float((value := get(listing)) is not None and value < limit)


def _shown(get: Callable[[Listing], Any], show: Callable[[Any], str]) -> Callable[[Listing], str | None]:
    return lambda listing: None if (value := get(listing)) is None else show(value)


def _platform(listing: Listing) -> str:
    return (listing.platform or "").strip().lower()


def _abroad(listing: Listing) -> bool | None:
    return ships_from_abroad(listing.ships_from)


_AGE, _FOLLOWERS, _RATING = _seller("account_age_days"), _seller("follower_count"), _seller("rating")
_COUNT, _OFFICIAL = _seller("listing_count"), _seller("is_official")
_PRICE_FIELD, _SOLD, _IMAGES = _field("price"), _field("sold_count"), _field("image_count")
_UNKNOWN = "an unknown value gives a reviewer nothing to check"
NEW_ACCOUNT_DAYS = 30  # a seller account younger than this is new


def _new_seller_branded(listing: Listing) -> float:
    """1 when a seller account younger than ``NEW_ACCOUNT_DAYS``, not an official store, sells a known brand.

    Counterfeiters open throwaway shops: each of the three facts alone is common and innocent, together they are
    not, and a linear model cannot learn the conjunction from the separate indicators.
    """
    seller = listing.seller
    if seller is None or seller.account_age_days is None or seller.account_age_days >= NEW_ACCOUNT_DAYS:
        return 0.0
    return float(seller.is_official is not True and brand_of(listing.brand or "") is not None)


def _silent(name: str, compute: Callable[[Listing], float]) -> Feature[Listing]:
    return Feature(name, compute, Silent(_UNKNOWN))


def _indicator(name: str, compute: Callable[[Listing], float], description: str) -> Feature[Listing]:
    return Feature(name, compute, Indicator(description))


METADATA_FEATURES: tuple[Feature[Listing], ...] = (
    Feature("log_price", _log(_PRICE_FIELD), Measure("giá bán", _shown(_PRICE_FIELD, format_vnd), kind="price")),
    _indicator("price_missing", _missing(_PRICE_FIELD), "không ghi giá"),
    Feature("log_account_age", _log(_AGE), Measure("tuổi tài khoản người bán", _shown(_AGE, "{} ngày".format))),
    _indicator("account_new", _below_count(_AGE, NEW_ACCOUNT_DAYS), "tài khoản người bán mới (dưới 30 ngày)"),
    _silent("account_age_missing", _missing(_AGE)),
    Feature("log_followers", _log(_FOLLOWERS), Measure("số người theo dõi", _shown(_FOLLOWERS, str))),
    _indicator("followers_few", _below_count(_FOLLOWERS, 50), "người bán có rất ít người theo dõi (dưới 50)"),
    _silent("followers_missing", _missing(_FOLLOWERS)),
    Feature(
        "rating",
        lambda listing: 0.0 if (rating := _RATING(listing)) is None else rating / 5.0,
        Measure("điểm đánh giá người bán", _shown(_RATING, "{:g}/5".format)),
    ),
    _silent("rating_missing", _missing(_RATING)),
    Feature("log_listing_count", _log(_COUNT), Measure("số tin đăng của người bán", _shown(_COUNT, str))),
    _silent("listing_count_missing", _missing(_COUNT)),
    _indicator("official_true", _is(_OFFICIAL, True), "shop chính hãng / Mall"),
    _indicator("official_false", _is(_OFFICIAL, False), "không phải shop chính hãng"),
    _silent("official_missing", _is(_OFFICIAL, None)),
    Feature("new_seller_branded", _new_seller_branded, NewSellerBrand(NEW_ACCOUNT_DAYS)),
    _indicator("abroad_true", _is(_abroad, True), "giao hàng từ nước ngoài"),
    _indicator("abroad_false", _is(_abroad, False), "giao hàng trong nước"),
    _silent("abroad_missing", _is(_abroad, None)),
    Feature("log_sold", _log(_SOLD), Measure("số lượng đã bán", _shown(_SOLD, str))),
    _silent("sold_missing", _missing(_SOLD)),
    Feature("log_images", _log(_IMAGES), Measure("số ảnh", _shown(_IMAGES, str))),
    _silent("images_missing", _missing(_IMAGES)),
    _indicator("description_missing", lambda listing: float(not listing.description), "không có mô tả"),
    *(
        Feature(f"platform_{name}", lambda listing, name=name: float(_platform(listing) == name), Silent(_UNKNOWN))
        for name in PLATFORMS
    ),
    _silent("platform_missing", lambda listing: float(_platform(listing) not in PLATFORMS)),
)
METADATA_FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in METADATA_FEATURES)


def build_metadata_features(listing: Listing) -> list[float]:
    """The metadata feature vector of one listing, in ``METADATA_FEATURE_NAMES`` order."""
    return [feature.compute(listing) for feature in METADATA_FEATURES]


def build_metadata_matrix(listings: Sequence[Listing]) -> np.ndarray:
    """Stack metadata features of many listings into a float32 matrix (rows = listings)."""
    matrix = np.asarray([build_metadata_features(listing) for listing in listings], dtype=np.float32)
    return matrix.reshape(len(listings), len(METADATA_FEATURE_NAMES))
