"""Human-readable evidence for a score, in Vietnamese, from a linear scorer's per-feature contributions."""

from __future__ import annotations

import math

from model.features import (
    METADATA_FEATURES,
    TextViews,
    listing_price,
    misspelt_brands,
    price_below_min_price,
    price_log_ratio,
)
from model.labels import describe_label
from model.lexicon import find_written_form, load_lexicon
from model.schema import Listing, Reason

_METADATA_TEXT = dict(METADATA_FEATURES)
# Continuous metadata features: reported with their value and whether it is unusually low or high.
_CONTINUOUS = {
    "log_price",
    "log_account_age",
    "log_followers",
    "rating",
    "log_listing_count",
    "log_sold",
    "log_images",
}
_TERM_KINDS = {"words", "segments"}
# Signals that move the score but give a reviewer nothing to check ("where it ships from is unknown").
_NOT_SHOWN = {
    "account_age_missing",
    "followers_missing",
    "rating_missing",
    "listing_count_missing",
    "official_missing",
    "abroad_missing",
    "sold_missing",
    "images_missing",
    "platform_missing",
}


def format_vnd(amount: float) -> str:
    """Format a price the Vietnamese way: 1.500.000 ₫."""
    return f"{round(amount):,}".replace(",", ".") + " ₫"


def _metadata_value(name: str, listing: Listing) -> str:
    """The raw value behind a continuous metadata feature, formatted for reviewers."""
    seller = listing.seller
    values = {
        "log_price": format_vnd(listing.price) if listing.price is not None else "",
        "log_account_age": f"{seller.account_age_days} ngày" if seller and seller.account_age_days is not None else "",
        "log_followers": str(seller.follower_count) if seller and seller.follower_count is not None else "",
        "rating": f"{seller.rating:g}/5" if seller and seller.rating is not None else "",
        "log_listing_count": str(seller.listing_count) if seller and seller.listing_count is not None else "",
        "log_sold": str(listing.sold_count) if listing.sold_count is not None else "",
        "log_images": str(listing.image_count) if listing.image_count is not None else "",
    }
    return values.get(name, "")


_SIGNAL_TEXT = {
    "has_phone": "Tin đăng để lại số điện thoại để giao dịch ngoài sàn.",
    "has_messaging_handle": "Tin đăng để lại tài khoản Zalo/Telegram để giao dịch ngoài sàn.",
    "has_bank_account": "Tin đăng để lại số tài khoản ngân hàng để chuyển khoản trực tiếp.",
}
_KIND_VI = {"term": "từ khóa", "code_word": "từ lóng", "emoji": "biểu tượng"}


def _price_reason(label: str, price: float, weight: float, below: str) -> Reason:
    """A price reason: "Giá 1.500.000 ₫, <how far below what>"."""
    return Reason(
        kind="price",
        label=label,
        evidence=format_vnd(price),
        weight=round(weight, 4),
        text=f"Giá {format_vnd(price)}, {below}.",
    )


def build_signal_reasons(
    contributions: list[tuple[str, str, float, float]],
    *,
    label: str,
    listing: Listing,
    views: TextViews,
    price_reference: dict[str, float],
) -> list[Reason]:
    """Evidence from the text signals: lexicon terms as written, price against the brand, contact details."""
    lexicon = load_lexicon()
    reasons: list[Reason] = []
    for kind, name, _value, weight in contributions:
        if kind != "signals" or weight <= 0:
            continue
        if name.startswith("lexicon_"):
            category = lexicon.category(name.removeprefix("lexicon_"))
            # each distinct hit once: a term repeated a thousand times is one piece of evidence, and one search
            for hit in dict.fromkeys(h for h in views.lexicon_hits if h.category == category.id):
                written = find_written_form(hit.term, views.raw) or hit.term
                reasons.append(
                    Reason(
                        kind="term",
                        label=label,
                        evidence=written,
                        normalized=hit.term,
                        category=category.name_vi,
                        legal_basis=list(category.legal_basis),
                        weight=round(weight, 4),
                        text=f"“{written}” là {_KIND_VI.get(hit.kind, 'từ khóa')} “{hit.term}” thuộc nhóm "
                        f"{category.name_vi} ({describe_label(category.label)}).",
                    )
                )
        elif name in ("price_vs_brand_reference", "price_far_below_brand_reference"):
            ratio = price_log_ratio(listing, views, price_reference)
            price = listing_price(listing, views)
            if ratio is None or price is None or ratio[0] >= 0:
                continue
            reference = format_vnd(math.exp(price_reference[ratio[1]]))
            below = f"thấp hơn {1 - math.exp(ratio[0]):.0%} so với giá tham chiếu của {ratio[1]} ({reference})"
            reasons.append(_price_reason(label, price, weight, below))
        elif name == "price_below_brand_min_price":
            found = price_below_min_price(listing, views)
            if found is not None:
                price, brand, floor = found
                below = f"thấp hơn giá thấp nhất của hàng {brand} chính hãng (khoảng {format_vnd(floor)})"
                reasons.append(_price_reason(label, price, weight, below))
        elif name == "brand_misspelt":
            for written, canonical in misspelt_brands(views):
                as_written = find_written_form(written, views.raw) or written
                reasons.append(
                    Reason(
                        kind="term",
                        label=label,
                        evidence=as_written,
                        normalized=canonical,
                        weight=round(weight, 4),
                        text=f"Tên thương hiệu viết chệch “{as_written}” ({canonical}): cách viết né bộ lọc "
                        "thường gặp ở hàng nhái.",
                    )
                )
        elif name in _SIGNAL_TEXT:
            reasons.append(
                Reason(kind="metadata", label=label, evidence=name, weight=round(weight, 4), text=_SIGNAL_TEXT[name])
            )
    return reasons


def build_reasons(
    contributions: list[tuple[str, str, float, float]],
    *,
    label: str,
    listing: Listing,
    max_terms: int = 3,
    max_metadata: int = 3,
) -> list[Reason]:
    """The strongest positive evidence for ``label``: matched terms first, then metadata signals.

    ``contributions`` are (kind, feature name, feature value, contribution) tuples, strongest first.
    """
    label_vi = describe_label(label)
    positive = [c for c in contributions if c[3] > 0]
    terms: list[Reason] = []
    seen: set[str] = set()
    for kind, name, _value, weight in positive:
        if kind not in _TERM_KINDS or len(terms) >= max_terms:
            continue
        term = name.replace("_", " ")
        if (
            len(term) < 2
            or term.replace(" ", "").isdigit()
            or term in seen
            or any(term in other or other in term for other in seen)
        ):
            continue
        seen.add(term)
        terms.append(
            Reason(
                kind="term",
                label=label,
                evidence=term,
                weight=round(weight, 4),
                text=f"Cụm từ “{term}” thường gặp ở tin đăng {label_vi}.",
            )
        )
    metadata: list[Reason] = []
    for kind, name, value, weight in positive:
        if kind != "metadata" or name in _NOT_SHOWN or name.startswith("platform_") or len(metadata) >= max_metadata:
            continue
        if name in _CONTINUOUS:
            shown = _metadata_value(name, listing)
            if not shown:
                continue
            level = "thấp" if value < 0 else "cao"
            text = f"{_METADATA_TEXT[name].capitalize()} {shown}, {level} so với tin đăng bình thường."
            metadata.append(
                Reason(
                    kind="price" if name == "log_price" else "metadata",
                    label=label,
                    evidence=shown,
                    weight=round(weight, 4),
                    text=text,
                )
            )
        elif value > 0:  # an indicator that is switched on (standardised value above its mean)
            text = f"{_METADATA_TEXT[name].capitalize()}."
            metadata.append(Reason(kind="metadata", label=label, evidence=name, weight=round(weight, 4), text=text))
    return terms + metadata
