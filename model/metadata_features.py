"""Metadata features: what the crawler saw of the listing besides its text (price, seller, counts, platform).

Missing metadata is never read as zero: every numeric signal has a "missing" indicator beside it, and booleans
are one-hot over true / false / missing. Each feature is a ``Feature`` of one registry, ``METADATA_FEATURES``:
its name, how it is computed from the listing's ``ListingMetadata`` (its values, looked up once for all the
features) and how it explains itself to a reviewer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Any, Literal, NamedTuple

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


# Places of origin read lately: a platform writes a few dozen distinct ones ("Hà Nội", "Nước ngoài"), so they are
# remembered; at most ABROAD_CACHE_SIZE of them, each at most ABROAD_CACHE_CHARS long (a longer one is read each time).
ABROAD_CACHE_SIZE = 256
ABROAD_CACHE_CHARS = 64


def ships_from_abroad(ships_from: str | None) -> bool | None:
    """True when the listing ships from outside Vietnam, None when unknown."""
    if not ships_from:
        return None
    return _abroad_place(ships_from) if len(ships_from) <= ABROAD_CACHE_CHARS else _is_abroad(ships_from)


def _is_abroad(ships_from: str) -> bool:
    place = normalize_text(ships_from)
    return any(marker in place for marker in _ABROAD)


_abroad_place = lru_cache(maxsize=ABROAD_CACHE_SIZE)(_is_abroad)


class ListingMetadata(NamedTuple):
    """What the metadata features read of one listing, each value looked up once.

    Most values are read by several features (a seller's account age gives its log, a "new account" indicator and
    a "missing" one; the platform gives nine one-hot columns; where the listing ships from three), so they are
    looked up here once per listing rather than once per feature, and each feature reads one field. A tuple: made
    and read in C.
    """

    price: float | None
    sold_count: int | None
    image_count: int | None
    account_age_days: int | None
    follower_count: int | None
    rating: float | None
    listing_count: int | None
    is_official: bool | None
    abroad: bool | None  # ``ships_from_abroad``
    platform: str  # stripped, lower case; "" when missing
    described: bool  # whether it has a description
    brand: str | None


# the fields of ``ListingMetadata`` that are the listing's or its seller's own, read as they are
_LISTING_FIELDS = ("price", "sold_count", "image_count")
_SELLER_FIELDS = ("account_age_days", "follower_count", "rating", "listing_count", "is_official")
_LISTING_VALUES, _SELLER_VALUES = attrgetter(*_LISTING_FIELDS), attrgetter(*_SELLER_FIELDS)  # a group in one call
_NO_SELLER = (None,) * len(_SELLER_FIELDS)


def read_metadata(listing: Listing) -> ListingMetadata:
    """The values of a listing that the metadata features read (seller fields None when the seller is unknown)."""
    seller = listing.seller
    return ListingMetadata._make(
        (
            *_LISTING_VALUES(listing),
            *(_SELLER_VALUES(seller) if seller else _NO_SELLER),
            ships_from_abroad(listing.ships_from),
            (listing.platform or "").strip().lower(),
            bool(listing.description),
            listing.brand,
        )
    )


Get = Callable[[ListingMetadata], Any]


def _log(get: Get) -> Callable[[ListingMetadata], float]:
    """log1p of a known value, 0 for a missing one (its "missing" indicator says which)."""
    return lambda metadata: 0.0 if (value := get(metadata)) is None else math.log1p(max(value, 0.0))


def _missing(get: Get) -> Callable[[ListingMetadata], float]:
    return lambda metadata: float(get(metadata) is None)


def _is(get: Get, state: bool | None) -> Callable[[ListingMetadata], float]:
    """One part of the (true, false, missing) one-hot of an optional boolean."""
    return lambda metadata: float(get(metadata) is state)


def _below_count(get: Get, limit: int) -> Callable[[ListingMetadata], float]:
    return lambda metadata: float((value := get(metadata)) is not None and value < limit)


def _own_value(field: str) -> Callable[[Listing], Any]:
    """How ``read_metadata`` reads one of ``_LISTING_FIELDS`` or ``_SELLER_FIELDS`` from a listing, alone.

    A reason shows the value of the one feature it explains, for a few listings in many: it reads that value alone
    rather than the whole ``ListingMetadata`` again.
    """
    get = attrgetter(field)
    if field in _SELLER_FIELDS:
        return lambda listing: get(seller) if (seller := listing.seller) else None
    if field not in _LISTING_FIELDS:
        raise ValueError(f"{field!r} is not a field of the listing or of its seller")
    return get


def _shown(field: str, show: Callable[[Any], str]) -> Callable[[Listing], str | None]:
    """The value of a field as a reason shows it, None when it is missing."""
    get = _own_value(field)
    return lambda listing: None if (value := get(listing)) is None else show(value)


# each feature reads its field with an ``attrgetter`` (in C), not a lambda of its own
_PRICE_FIELD, _SOLD, _IMAGES = attrgetter("price"), attrgetter("sold_count"), attrgetter("image_count")
_AGE, _FOLLOWERS, _RATING = attrgetter("account_age_days"), attrgetter("follower_count"), attrgetter("rating")
_COUNT, _OFFICIAL, _FROM_ABROAD = attrgetter("listing_count"), attrgetter("is_official"), attrgetter("abroad")
_UNKNOWN = "an unknown value gives a reviewer nothing to check"
NEW_ACCOUNT_DAYS = 30  # a seller account younger than this is new


def _new_seller_branded(metadata: ListingMetadata) -> float:
    """1 when a seller account younger than ``NEW_ACCOUNT_DAYS``, not an official store, sells a known brand.

    Counterfeiters open throwaway shops: each of the three facts alone is common and innocent, together they are
    not, and a linear model cannot learn the conjunction from the separate indicators.
    """
    if metadata.account_age_days is None or metadata.account_age_days >= NEW_ACCOUNT_DAYS:
        return 0.0
    return float(metadata.is_official is not True and brand_of(metadata.brand or "") is not None)


def _silent(name: str, compute: Callable[[ListingMetadata], float]) -> Feature[ListingMetadata]:
    return Feature(name, compute, Silent(_UNKNOWN))


def _indicator(name: str, compute: Callable[[ListingMetadata], float], description: str) -> Feature[ListingMetadata]:
    return Feature(name, compute, Indicator(description))


def _measured(
    name: str,
    field: str,
    description: str,
    show: Callable[[Any], str],
    *,
    kind: Literal["metadata", "price"] = "metadata",
) -> Feature[ListingMetadata]:
    """log1p of a field, explained with the field's value: one field named once for both."""
    return Feature(name, _log(attrgetter(field)), Measure(description, _shown(field, show), kind=kind))


METADATA_FEATURES: tuple[Feature[ListingMetadata], ...] = (
    _measured("log_price", "price", "giá bán", format_vnd, kind="price"),
    _indicator("price_missing", _missing(_PRICE_FIELD), "không ghi giá"),
    _measured("log_account_age", "account_age_days", "tuổi tài khoản người bán", "{} ngày".format),
    _indicator("account_new", _below_count(_AGE, NEW_ACCOUNT_DAYS), "tài khoản người bán mới (dưới 30 ngày)"),
    _silent("account_age_missing", _missing(_AGE)),
    _measured("log_followers", "follower_count", "số người theo dõi", str),
    _indicator("followers_few", _below_count(_FOLLOWERS, 50), "người bán có rất ít người theo dõi (dưới 50)"),
    _silent("followers_missing", _missing(_FOLLOWERS)),
    Feature(
        "rating",
        lambda metadata: 0.0 if (rating := metadata.rating) is None else rating / 5.0,
        Measure("điểm đánh giá người bán", _shown("rating", "{:g}/5".format)),
    ),
    _silent("rating_missing", _missing(_RATING)),
    _measured("log_listing_count", "listing_count", "số tin đăng của người bán", str),
    _silent("listing_count_missing", _missing(_COUNT)),
    _indicator("official_true", _is(_OFFICIAL, True), "shop chính hãng / Mall"),
    _indicator("official_false", _is(_OFFICIAL, False), "không phải shop chính hãng"),
    _silent("official_missing", _is(_OFFICIAL, None)),
    Feature("new_seller_branded", _new_seller_branded, NewSellerBrand(NEW_ACCOUNT_DAYS)),
    _indicator("abroad_true", _is(_FROM_ABROAD, True), "giao hàng từ nước ngoài"),
    _indicator("abroad_false", _is(_FROM_ABROAD, False), "giao hàng trong nước"),
    _silent("abroad_missing", _is(_FROM_ABROAD, None)),
    _measured("log_sold", "sold_count", "số lượng đã bán", str),
    _silent("sold_missing", _missing(_SOLD)),
    _measured("log_images", "image_count", "số ảnh", str),
    _silent("images_missing", _missing(_IMAGES)),
    _indicator("description_missing", lambda metadata: float(not metadata.described), "không có mô tả"),
    *(
        Feature(f"platform_{name}", lambda metadata, name=name: float(metadata.platform == name), Silent(_UNKNOWN))
        for name in PLATFORMS
    ),
    _silent("platform_missing", lambda metadata: float(metadata.platform not in PLATFORMS)),
)
METADATA_FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in METADATA_FEATURES)


_COMPUTES = tuple(feature.compute for feature in METADATA_FEATURES)


def build_metadata_features(listing: Listing) -> list[float]:
    """The metadata feature vector of one listing, in ``METADATA_FEATURE_NAMES`` order."""
    metadata = read_metadata(listing)
    return [compute(metadata) for compute in _COMPUTES]


def build_metadata_matrix(listings: Sequence[Listing]) -> np.ndarray:
    """Stack metadata features of many listings into a float32 matrix (rows = listings).

    Built a column (a feature) at a time: ``map`` runs each feature over the batch without a Python loop of its own.
    """
    metadata = [read_metadata(listing) for listing in listings]
    columns = np.asarray([list(map(compute, metadata)) for compute in _COMPUTES], dtype=np.float32)
    return np.ascontiguousarray(columns.T).reshape(len(listings), len(METADATA_FEATURE_NAMES))
