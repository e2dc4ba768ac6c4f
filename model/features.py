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
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Generic, TypeVar

from model.brand_evasion import EvasiveBrand
from model.brands import brand_of, is_misspelt
from model.deobfuscation import find_price_mentions
from model.explanations import (
    Explanation,
    LexiconTerms,
    PriceAgainstReference,
    Silent,
    Statement,
    WrittenBrands,
)
from model.lexicon import LexiconHit, load_lexicon
from model.market.neighbours import NeighbourTable
from model.market.reference import SOURCES, PriceCheck, check_price
from model.schema import Listing
from model.signals import TextSignals
from model.text import read_text, segment_words


@dataclass(frozen=True)
class TextViews:
    """The text of one listing in the forms the scorers read, and what was read out of it."""

    raw: str
    surface: str  # as written: case, repeated letters, punctuation and emoji kept (markup and URLs removed)
    normalized: str
    folded: str
    segmented: str
    signals: TextSignals
    brands: tuple[tuple[str, str], ...]  # (as found in folded text, canonical brand)
    lexicon_hits: tuple[LexiconHit, ...]
    innocent_hits: int  # lexicon phrases that use risky words innocently ("cây ngà voi", "cỏ mèo")
    text_price: float | None  # the first price written in the text ("giá 350k"), if any
    evasive_brands: tuple[EvasiveBrand, ...] = ()  # brands written with symbols or hinted ("D!or", "khóa CC")


def build_listing_text(listing: Listing, *, max_description_chars: int) -> str:
    """Title, brand, category and the start of the description, as one string for the models."""
    parts = [listing.title, listing.brand or "", listing.category or ""]
    if listing.description:
        parts.append(listing.description[:max_description_chars])
    return " . ".join(part for part in parts if part)


def build_text_views(listing: Listing, *, max_description_chars: int, max_segmented_chars: int) -> TextViews:
    """Normalised, diacritic-folded and word-segmented views of a listing's text.

    Word segmentation is the slowest step of scoring, so only the first ``max_segmented_chars`` characters
    (title, brand, category and the start of the description) are segmented; 0 turns it off.
    """
    raw = build_listing_text(listing, max_description_chars=max_description_chars)
    read = read_text(raw)
    hits, innocent = load_lexicon().match_with_context(read.folded, raw)
    return TextViews(
        raw=raw,
        surface=read.surface,
        normalized=read.normalized,
        folded=read.folded,
        segmented=segment_words(read.normalized[:max_segmented_chars]) if max_segmented_chars > 0 else "",
        signals=read.signals,
        brands=read.brands,
        lexicon_hits=tuple(hits),
        innocent_hits=innocent,
        text_price=next(iter(find_price_mentions(read.normalized)), None),
        evasive_brands=read.evasive_brands,
    )


def listing_brand(listing: Listing, views: TextViews) -> str | None:
    """The canonical brand of a listing: its brand field if that is a known brand, else the first one in its text."""
    if listing.brand:
        canonical = brand_of(listing.brand)
        if canonical:
            return canonical
    return views.brands[0][1] if views.brands else None


def listing_price(listing: Listing, views: TextViews) -> float | None:
    """The listing's price, or the first price written in its text when the price field is empty."""
    return listing.price if listing.price is not None else views.text_price


def misspelt_brands(views: TextViews) -> list[tuple[str, str]]:
    """(as written, canonical) for brands the text spells other than any known way ("rolexx", "lui vuiton")."""
    return [(written, canonical) for written, canonical in views.brands if is_misspelt(written)]


@dataclass(frozen=True)
class ListingReading:
    """A listing and the evidence read out of it once: the signal features and their reasons both read this.

    ``listing`` is the whole listing (its metadata); ``views`` may be of its text cut to the reading budget.
    """

    listing: Listing
    views: TextViews
    price_check: PriceCheck | None  # the price against its reference (``check_price``), None when unknown
    misspelt_brands: tuple[tuple[str, str], ...]  # (as written, canonical), see ``misspelt_brands``
    lexicon_counts: dict[str, int]  # lexicon hits per category id, every category present


def read_listing(listing: Listing, views: TextViews, reference: NeighbourTable | None) -> ListingReading:
    """The evidence of one listing: its price check (against ``reference``, the artifact's neighbour table),
    misspelt brands and lexicon hits per category."""
    counts = dict.fromkeys(load_lexicon().category_ids, 0)
    for hit in views.lexicon_hits:
        counts[hit.category] += 1
    return ListingReading(
        listing=listing,
        views=views,
        price_check=check_price(listing, views, reference),
        misspelt_brands=tuple(misspelt_brands(views)),
        lexicon_counts=counts,
    )


T = TypeVar("T")


@dataclass(frozen=True)
class Feature(Generic[T]):
    """One named column of the feature matrix: how it is computed from its input and how it explains itself.

    Metadata features read a ``Listing``, signal features a ``ListingReading``. The names and values of the
    feature vectors come from the registries below, so they cannot fall out of step.
    """

    name: str
    compute: Callable[[T], float]
    explanation: Explanation


@dataclass(frozen=True)
class Contribution:
    """What one feature added to one output's linear score for one listing (``value`` × its weight)."""

    kind: str  # the feature block: words, segments, chars, surface_chars, metadata or signals
    name: str  # the feature's name (an n-gram for the text blocks)
    value: float  # the feature's value as the scorer saw it (metadata standardised)
    weight: float  # the contribution to the decision function: value × weight
    label: str  # the output explained
    feature: Feature[Any] | None = None  # the registry feature (metadata and signals), None for n-grams

    @property
    def rounded(self) -> float:
        """The contribution as a reason reports it."""
        return round(self.weight, 4)

    def plus(self, weight: float) -> Contribution:
        """This contribution with ``weight`` added: features sharing one reason are weighed together."""
        return replace(self, weight=self.weight + weight)


# ---- signal features: read from the listing's text and price ----------------------------------------------------
# How far below the reference price counts as "far below" (a log ratio: 30% of the low end of the reference).
FAR_BELOW_LOG_RATIO = math.log(0.3)
_PRICE = PriceAgainstReference()


def _below(source: str) -> Callable[[PriceCheck | None], float]:
    """How far below its reference the unit price is, when the reference came from ``source``; capped both ways."""
    return lambda c: min(max(-c.log_ratio, -2.0), 5.0) if c is not None and c.source == source else 0.0


def _source(source: str | None) -> Callable[[PriceCheck | None], float]:
    return lambda c: float(c is None) if source is None else float(c is not None and c.source == source)


def _condition(state: str) -> Callable[[PriceCheck | None], float]:
    return lambda c: float(c is not None and c.condition.state == state)


# The price features, built from a ``PriceCheck`` (model.market.reference): how far below its reference a
# listing's unit price is, per source of the reference, which source it was, the condition and the quantity.
PRICE_FEATURES: tuple[Feature[PriceCheck | None], ...] = (
    *(Feature(f"price_below_{source}", _below(source), _PRICE) for source in SOURCES),
    Feature("price_far_below_reference", lambda c: float(c is not None and c.log_ratio < FAR_BELOW_LOG_RATIO), _PRICE),
    *(Feature(f"price_source_{source}", _source(source), _PRICE) for source in SOURCES),
    Feature("price_source_none", _source(None), _PRICE),
    Feature("condition_used", _condition("used"), _PRICE),
    Feature("condition_new_claimed", _condition("new"), _PRICE),
    Feature("log_quantity", lambda c: math.log(c.quantity.count) if c is not None else 0.0, _PRICE),
)
PRICE_FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in PRICE_FEATURES)


def build_price_features(check: PriceCheck | None) -> list[float]:
    """The ``PRICE_FEATURE_NAMES`` values of a price check (all "none" when there is none)."""
    return [feature.compute(check) for feature in PRICE_FEATURES]


def _price_feature(feature: Feature[PriceCheck | None]) -> Feature[ListingReading]:
    return Feature(feature.name, lambda r: feature.compute(r.price_check), feature.explanation)


def _has(what: str) -> Callable[[ListingReading], float]:
    return lambda r: float(bool(getattr(r.views.signals, what)))


def _lexicon_feature(category_id: str) -> Feature[ListingReading]:
    return Feature(
        f"lexicon_{category_id}", lambda r: math.log1p(r.lexicon_counts[category_id]), LexiconTerms(category_id)
    )


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
        *(_price_feature(feature) for feature in PRICE_FEATURES),
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


def build_signal_values(reading: ListingReading) -> list[float]:
    """The signal feature vector of one read listing, in ``signal_feature_names`` order."""
    return [feature.compute(reading) for feature in signal_features()]


def build_signal_features(listing: Listing, views: TextViews, reference: NeighbourTable | None) -> list[float]:
    """Lexicon hits per category, contact details, price against its reference (``check_price``), brand spelling.

    ``reference`` is the neighbour table learned in training (the model artifact's ``price_reference``).
    """
    return build_signal_values(read_listing(listing, views, reference))
