"""Listing text views, the reading of a listing, and the typed features read from it, the same for training and
serving.

A ``Feature`` is one named column of the feature matrix: how it is computed and how it explains itself (a
``model.explanations.Explanation``). The signal features (text signals and the price check) live in one
registry here, ``signal_features()``; the metadata features in ``model.metadata_features``. Feature vectors and
their names both come from the registries, so they cannot fall out of step. A ``ListingReading`` holds what was
read out of a listing once (its price check, misspelt brands, lexicon hits): features and reasons both read it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from math import log1p
from operator import attrgetter
from typing import TypeVar

from model.explanations import (
    LexiconTerms,
    PriceAgainstReference,
    Silent,
    Statement,
    WrittenBrands,
)
from model.feature_base import Feature
from model.lexicon import load_lexicon
from model.market.neighbours import NeighbourTable
from model.market.reference import SOURCES, PriceCheck
from model.reading import ListingReading, read_listing
from model.schema import Listing
from model.text_views import TextViews

# ---- signal features: read from the listing's text and price ----------------------------------------------------
# How far below the reference price counts as "far below" (a log ratio: 30% of the low end of the reference).
FAR_BELOW_LOG_RATIO = math.log(0.3)
_PRICE = PriceAgainstReference()


T = TypeVar("T")
CheckOf = Callable[[T], PriceCheck | None]  # where a feature finds the price check in its input


def _below(check_of: CheckOf[T], source: str) -> Callable[[T], float]:
    """How far below its reference the unit price is, when the reference came from ``source``; capped both ways."""
    return lambda x: min(max(-c.log_ratio, -2.0), 5.0) if (c := check_of(x)) is not None and c.source == source else 0.0


def _source(check_of: CheckOf[T], source: str | None) -> Callable[[T], float]:
    if source is None:
        return lambda x: float(check_of(x) is None)
    return lambda x: float((c := check_of(x)) is not None and c.source == source)


def _condition(check_of: CheckOf[T], state: str) -> Callable[[T], float]:
    return lambda x: float((c := check_of(x)) is not None and c.condition.state == state)


def _price_features(check_of: CheckOf[T]) -> tuple[Feature[T], ...]:
    """The price features of any input holding a price check (a check itself, or a ``ListingReading``).

    Written once for both: ``check_of`` finds the check (an ``attrgetter`` for a reading, in C), so a signal
    feature is one call, not a call wrapping another.
    """
    return (
        *(Feature(f"price_below_{source}", _below(check_of, source), _PRICE) for source in SOURCES),
        Feature(
            "price_far_below_reference",
            lambda x: float((c := check_of(x)) is not None and c.log_ratio < FAR_BELOW_LOG_RATIO),
            _PRICE,
        ),
        *(Feature(f"price_source_{source}", _source(check_of, source), _PRICE) for source in SOURCES),
        Feature("price_source_none", _source(check_of, None), _PRICE),
        Feature("condition_used", _condition(check_of, "used"), _PRICE),
        Feature("condition_new_claimed", _condition(check_of, "new"), _PRICE),
        Feature(
            "log_quantity", lambda x: math.log(c.quantity.count) if (c := check_of(x)) is not None else 0.0, _PRICE
        ),
    )


# The price features, built from a ``PriceCheck`` (model.market.reference): how far below its reference a
# listing's unit price is, per source of the reference, which source it was, the condition and the quantity.
PRICE_FEATURES: tuple[Feature[PriceCheck | None], ...] = _price_features(lambda check: check)
PRICE_FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in PRICE_FEATURES)


def build_price_features(check: PriceCheck | None) -> list[float]:
    """The ``PRICE_FEATURE_NAMES`` values of a price check (all "none" when there is none)."""
    return [feature.compute(check) for feature in PRICE_FEATURES]


def _has(what: str) -> Callable[[ListingReading], float]:
    found = attrgetter(f"views.signals.{what}")
    return lambda r: float(bool(found(r)))


def _lexicon_feature(category_id: str) -> Feature[ListingReading]:
    return Feature(f"lexicon_{category_id}", lambda r: log1p(r.lexicon_counts[category_id]), LexiconTerms(category_id))


@cache
def _signal_features(category_ids: tuple[str, ...]) -> tuple[Feature[ListingReading], ...]:
    off_platform = "để giao dịch ngoài sàn."
    return (
        *(_lexicon_feature(category_id) for category_id in category_ids),
        Feature("has_phone", _has("phones"), Statement(f"Tin đăng để lại số điện thoại {off_platform}")),
        Feature(
            "has_messaging_handle",
            _has("handles"),
            Statement(f"Tin đăng để lại tài khoản Zalo/Telegram {off_platform}"),
        ),
        Feature(
            "has_bank_account",
            _has("bank_accounts"),
            Statement("Tin đăng để lại số tài khoản ngân hàng để chuyển khoản trực tiếp."),
        ),
        Feature(
            "price_only_in_text",
            lambda r: float(r.listing.price is None and r.views.text_price is not None),
            Silent("the price written in the text is explained by the price check"),
        ),
        *_price_features(attrgetter("price_check")),
        Feature(
            "brand_misspelt",
            lambda r: float(bool(r.misspelt_brands or r.views.evasive_brands)),
            WrittenBrands(),
        ),
        Feature(
            "lexicon_innocent_context",
            lambda r: math.log1p(r.views.innocent_hits),
            Silent("an innocent use of a risky word lowers the risk; it is never evidence for it"),
        ),
    )


def signal_features() -> tuple[Feature[ListingReading], ...]:
    """The signal features: one per lexicon category, contact details, price against its reference, brand spelling."""
    return _signal_features(load_lexicon().category_ids)


def signal_feature_names() -> tuple[str, ...]:
    """Names of the signal features, in feature-matrix order."""
    return tuple(feature.name for feature in signal_features())


@cache
def _signal_computes(category_ids: tuple[str, ...]) -> tuple[Callable[[ListingReading], float], ...]:
    """The registry's ``compute`` of each signal feature, in order: taken from it once, not once per listing."""
    return tuple(feature.compute for feature in _signal_features(category_ids))


def build_signal_values(reading: ListingReading) -> list[float]:
    """The signal feature vector of one read listing, in ``signal_feature_names`` order."""
    return [compute(reading) for compute in _signal_computes(load_lexicon().category_ids)]


def build_signal_features(listing: Listing, views: TextViews, reference: NeighbourTable | None) -> list[float]:
    """Lexicon hits per category, contact details, price against its reference (``check_price``), brand spelling.

    ``reference`` is the neighbour table learned in training (the model artifact's ``price_reference``).
    """
    return build_signal_values(read_listing(listing, views, reference))
