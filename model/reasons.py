"""Human-readable evidence for a score, in Vietnamese, from a linear scorer's per-feature contributions."""

from __future__ import annotations

from model.brand_evasion import written_form
from model.features import METADATA_FEATURES, PRICE_FEATURE_NAMES, TextViews, misspelt_brands
from model.labels import describe_label
from model.lexicon import find_written_form, load_lexicon
from model.market.neighbours import NeighbourTable
from model.market.reference import PriceCheck, check_price
from model.money import format_vnd
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


def _short_amount(amount: float, scale: float) -> str:
    """An amount in millions or thousands, one decimal at most, decimal comma: 27, 1,5."""
    return f"{round(amount / scale, 1):g}".replace(".", ",")


def format_vnd_range(low: float, high: float) -> str:
    """A price range the way Vietnamese shops write it: "27–34 triệu ₫", "35–45 nghìn ₫", "1.500.000 ₫"."""
    scale, word = (1e6, "triệu") if low >= 1e6 else (1e3, "nghìn") if low >= 1e3 else (0.0, "")
    if not scale:
        return format_vnd(low) if low == high else f"{round(low)}–{format_vnd(high)}"
    if low == high:
        return f"{_short_amount(low, scale)} {word} ₫"
    return f"{_short_amount(low, scale)}–{_short_amount(high, scale)} {word} ₫"


def _share(check: PriceCheck) -> str:
    share = check.share_of_reference
    return "dưới 1%" if share < 0.005 else f"khoảng {share:.0%}"


_CONDITION_VI = {"new": " mới", "used": " đã qua sử dụng", "unknown": ""}


def describe_price_check(check: PriceCheck) -> str:
    """The sentence a reviewer checks in a second, built from the price check alone.

    "Giá 3.000.000 ₫ cho iPhone 15 Pro Max 256GB mới, bằng khoảng 10% giá chính hãng tham khảo (27–34 triệu ₫, 2025)."
    """
    price = format_vnd(check.price_vnd)
    if check.source == "catalogue":
        what = f"{check.subject}{_CONDITION_VI[check.condition.state]}"
        if check.quantity.count > 1:
            what += f" ({check.quantity.note}: {format_vnd(check.unit_price_vnd)}/{check.unit})"
        kind = "giá hàng đã qua sử dụng tham khảo" if check.used_reference else "giá chính hãng tham khảo"
        span = format_vnd_range(check.reference_low_vnd, check.reference_high_vnd)
        year = f", {check.year}" if check.year else ""
        return f"Giá {price} cho {what}, bằng {_share(check)} {kind} ({span}{year})."
    if check.source == "neighbours":
        return (
            f"Giá {price}, bằng {_share(check)} giá trung vị của {check.n_neighbours} tin tương tự cùng hãng "
            f"{check.brand} ({format_vnd(check.reference_low_vnd)})."
        )
    return (
        f"Giá {price}, bằng {_share(check)} giá thấp nhất của hàng {check.brand} chính hãng "
        f"(khoảng {format_vnd(check.reference_low_vnd)})."
    )


def build_price_reason(check: PriceCheck | None, *, label: str, weight: float) -> Reason | None:
    """The price reason of a listing whose unit price is below its reference; None otherwise."""
    if check is None or check.log_ratio >= 0:
        return None
    return Reason(
        kind="price",
        label=label,
        evidence=format_vnd(check.price_vnd),
        weight=round(weight, 4),
        text=describe_price_check(check),
    )


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
_PRICE = frozenset(PRICE_FEATURE_NAMES)


_MISSPELT_TEXT = "Tên thương hiệu viết chệch “{written}” ({brand}): cách viết né bộ lọc thường gặp ở hàng nhái."
_EVASIVE_TEXT = (
    "Tên thương hiệu viết lách “{written}” ({brand}): viết bằng ký hiệu, chữ số hoặc chữ viết tắt để né bộ lọc, "
    "thường gặp ở hàng nhái."
)


def _written_brand_reasons(views: TextViews, *, label: str, weight: float) -> list[Reason]:
    """Brands written other than their known spellings: misspelt ("Rolexx"), or with symbols and hints ("D!or")."""
    found = [
        (find_written_form(written, views.raw) or written, brand, _MISSPELT_TEXT)
        for written, brand in misspelt_brands(views)
    ]
    found += [(written_form(evasive, views.raw), evasive.canonical, _EVASIVE_TEXT) for evasive in views.evasive_brands]
    return [
        Reason(
            kind="term",
            label=label,
            evidence=written,
            normalized=brand,
            weight=round(weight, 4),
            text=template.format(written=written, brand=brand),
        )
        for written, brand, template in found
    ]


def build_signal_reasons(
    contributions: list[tuple[str, str, float, float]],
    *,
    label: str,
    listing: Listing,
    views: TextViews,
    price_reference: NeighbourTable | None,
) -> list[Reason]:
    """Evidence from the text signals: lexicon terms as written, price against its reference, contact details.

    The price reason is shown once, when the price features together raise the score, and its text comes
    from the listing's ``PriceCheck``, not from the feature names.
    """
    lexicon = load_lexicon()
    reasons: list[Reason] = []
    price_weight = sum(weight for kind, name, _v, weight in contributions if kind == "signals" and name in _PRICE)
    if price_weight > 0:
        reason = build_price_reason(check_price(listing, views, price_reference), label=label, weight=price_weight)
        if reason is not None:
            reasons.append(reason)
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
        elif name == "brand_misspelt":
            reasons += _written_brand_reasons(views, label=label, weight=weight)
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
