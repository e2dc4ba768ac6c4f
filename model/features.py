"""Listing text views and metadata features, computed the same way for training and serving.

Missing metadata is never read as zero: every numeric signal has a "missing" indicator beside it,
and booleans are one-hot over true / false / missing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.brand_evasion import EvasiveBrand
from model.brands import brand_of, is_misspelt
from model.deobfuscation import find_price_mentions
from model.lexicon import LexiconHit, load_lexicon
from model.market.neighbours import NeighbourTable
from model.market.reference import SOURCES, PriceCheck, check_price
from model.schema import PLATFORMS, Listing
from model.signals import TextSignals
from model.text import normalize_text, read_text, segment_words

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


# The price features, built from a ``PriceCheck`` (model.market.reference): how far below its reference a
# listing's unit price is, per source of the reference, which source it was, the condition and the quantity.
PRICE_FEATURE_NAMES: tuple[str, ...] = (
    *(f"price_below_{source}" for source in SOURCES),
    "price_far_below_reference",
    *(f"price_source_{source}" for source in (*SOURCES, "none")),
    "condition_used",
    "condition_new_claimed",
    "log_quantity",
)


def signal_feature_names() -> tuple[str, ...]:
    """Names of the text-signal features: one per lexicon category, contact details, price, brand spelling."""
    return (
        *(f"lexicon_{category}" for category in load_lexicon().category_ids),
        "has_phone",
        "has_messaging_handle",
        "has_bank_account",
        "price_only_in_text",
        *PRICE_FEATURE_NAMES,
        "brand_misspelt",
        "lexicon_innocent_context",
    )


# How far below the reference price counts as "far below" (a log ratio: 30% of the low end of the reference).
FAR_BELOW_LOG_RATIO = math.log(0.3)


def build_price_features(check: PriceCheck | None) -> list[float]:
    """The ``PRICE_FEATURE_NAMES`` values of a price check (all "none" when there is none)."""
    below = [0.0] * len(SOURCES)
    source = [0.0] * (len(SOURCES) + 1)
    if check is None:
        source[-1] = 1.0
        return [*below, 0.0, *source, 0.0, 0.0, 0.0]
    log_ratio = check.log_ratio
    index = SOURCES.index(check.source)
    below[index] = min(max(-log_ratio, -2.0), 5.0)  # positive below the reference, capped both ways
    source[index] = 1.0
    condition = check.condition.state
    return [
        *below,
        float(log_ratio < FAR_BELOW_LOG_RATIO),
        *source,
        float(condition == "used"),
        float(condition == "new"),
        math.log(check.quantity.count),
    ]


def build_signal_features(listing: Listing, views: TextViews, reference: NeighbourTable | None) -> list[float]:
    """Lexicon hits per category, contact details, price against its reference (``check_price``), brand spelling.

    ``reference`` is the neighbour table learned in training (the model artifact's ``price_reference``).
    """
    counts = {category: 0 for category in load_lexicon().category_ids}
    for hit in views.lexicon_hits:
        counts[hit.category] += 1
    values = [math.log1p(count) for count in counts.values()]
    signals = views.signals
    values += [float(bool(signals.phones)), float(bool(signals.handles)), float(bool(signals.bank_accounts))]
    values.append(float(listing.price is None and listing_price(listing, views) is not None))
    values += build_price_features(check_price(listing, views, reference))
    values.append(float(bool(misspelt_brands(views) or views.evasive_brands)))
    values.append(math.log1p(views.innocent_hits))
    return values


def misspelt_brands(views: TextViews) -> list[tuple[str, str]]:
    """(as written, canonical) for brands the text spells other than any known way ("rolexx", "lui vuiton")."""
    return [(written, canonical) for written, canonical in views.brands if is_misspelt(written)]


def ships_from_abroad(ships_from: str | None) -> bool | None:
    """True when the listing ships from outside Vietnam, None when unknown."""
    if not ships_from:
        return None
    place = normalize_text(ships_from)
    return any(marker in place for marker in _ABROAD)


# (name, Vietnamese description shown to reviewers when the feature raises the score)
METADATA_FEATURES: tuple[tuple[str, str], ...] = (
    ("log_price", "giá bán"),
    ("price_missing", "không ghi giá"),
    ("log_account_age", "tuổi tài khoản người bán"),
    ("account_new", "tài khoản người bán mới (dưới 30 ngày)"),
    ("account_age_missing", "không rõ tuổi tài khoản người bán"),
    ("log_followers", "số người theo dõi"),
    ("followers_few", "người bán có rất ít người theo dõi (dưới 50)"),
    ("followers_missing", "không rõ số người theo dõi"),
    ("rating", "điểm đánh giá người bán"),
    ("rating_missing", "không có điểm đánh giá người bán"),
    ("log_listing_count", "số tin đăng của người bán"),
    ("listing_count_missing", "không rõ số tin đăng của người bán"),
    ("official_true", "shop chính hãng / Mall"),
    ("official_false", "không phải shop chính hãng"),
    ("official_missing", "không rõ có phải shop chính hãng"),
    ("abroad_true", "giao hàng từ nước ngoài"),
    ("abroad_false", "giao hàng trong nước"),
    ("abroad_missing", "không rõ nơi giao hàng"),
    ("log_sold", "số lượng đã bán"),
    ("sold_missing", "không rõ số lượng đã bán"),
    ("log_images", "số ảnh"),
    ("images_missing", "không rõ số ảnh"),
    ("description_missing", "không có mô tả"),
    *((f"platform_{name}", f"đăng trên {name}") for name in PLATFORMS),
    ("platform_missing", "không rõ nền tảng"),
)
METADATA_FEATURE_NAMES: tuple[str, ...] = tuple(name for name, _ in METADATA_FEATURES)


def _log_or_missing(value: float | None) -> tuple[float, float]:
    """(log1p(value), 0) for a known value, (0, 1) for a missing one."""
    return (0.0, 1.0) if value is None else (math.log1p(max(value, 0.0)), 0.0)


def _one_hot(value: bool | None) -> tuple[float, float, float]:
    """(true, false, missing) one-hot of an optional boolean."""
    return (float(value is True), float(value is False), float(value is None))


def build_metadata_features(listing: Listing) -> list[float]:
    """The metadata feature vector of one listing, in ``METADATA_FEATURE_NAMES`` order."""
    seller = listing.seller
    age = seller.account_age_days if seller else None
    followers = seller.follower_count if seller else None
    rating = seller.rating if seller else None
    count = seller.listing_count if seller else None
    official = seller.is_official if seller else None
    platform = (listing.platform or "").strip().lower()
    values: list[float] = []
    values += _log_or_missing(listing.price)
    log_age, age_missing = _log_or_missing(age)
    values += (log_age, float(age is not None and age < 30), age_missing)
    log_followers, followers_missing = _log_or_missing(followers)
    values += (log_followers, float(followers is not None and followers < 50), followers_missing)
    values += (0.0, 1.0) if rating is None else (rating / 5.0, 0.0)
    values += _log_or_missing(count)
    values += _one_hot(official)
    values += _one_hot(ships_from_abroad(listing.ships_from))
    values += _log_or_missing(listing.sold_count)
    values += _log_or_missing(listing.image_count)
    values.append(float(not listing.description))
    values += [float(platform == name) for name in PLATFORMS]
    values.append(float(platform not in PLATFORMS))
    return values


def build_metadata_matrix(listings: Sequence[Listing]) -> np.ndarray:
    """Stack metadata features of many listings into a float32 matrix (rows = listings)."""
    matrix = np.asarray([build_metadata_features(listing) for listing in listings], dtype=np.float32)
    return matrix.reshape(len(listings), len(METADATA_FEATURE_NAMES))
