"""Human-readable evidence for a score, in Vietnamese, from a linear scorer's per-feature contributions.

Words the model learned are explained here; each metadata and signal feature explains itself (its
``model.explanations.Explanation``), so which reason a feature gives never depends on its name.
"""

from __future__ import annotations

from collections.abc import Sequence

from model.feature_base import Contribution, Explanation
from model.labels import describe_label
from model.market.reference import PriceCheck
from model.money import format_vnd
from model.reading import ListingReading
from model.schema import Reason

_TERM_KINDS = {"words", "segments"}


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


def _learned_terms(positive: Sequence[Contribution], *, label: str, max_terms: int) -> list[Reason]:
    """Word n-grams and word segments the model learned, longest-distinct first, at most ``max_terms``."""
    label_vi = describe_label(label)
    terms: list[Reason] = []
    seen: set[str] = set()
    for contribution in positive:
        if contribution.kind not in _TERM_KINDS or len(terms) >= max_terms:
            continue
        term = contribution.name.replace("_", " ")
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
                weight=contribution.rounded,
                text=f"Cụm từ “{term}” thường gặp ở tin đăng {label_vi}.",
            )
        )
    return terms


def _explain(contribution: Contribution, reading: ListingReading) -> list[Reason]:
    """What a registry feature says about its contribution; nothing for an n-gram."""
    feature = contribution.feature
    return [] if feature is None else feature.explanation.reasons(contribution, reading)


def build_signal_reasons(contributions: Sequence[Contribution], *, reading: ListingReading) -> list[Reason]:
    """Evidence from the text signals: lexicon terms as written, price against its reference, contact details.

    Features that share a combined explanation (the price features) give one reason together, first, when their
    contributions together raise the score; its text comes from the listing's ``PriceCheck``.
    """
    signals = [(c, c.feature.explanation) for c in contributions if c.kind == "signals" and c.feature is not None]
    combined: dict[Explanation, Contribution] = {}
    for contribution, explanation in signals:
        if explanation.combined:
            total = combined.get(explanation)
            combined[explanation] = contribution if total is None else total.plus(contribution.weight)
    reasons = [
        reason
        for explanation, total in combined.items()
        if total.weight > 0
        for reason in explanation.reasons(total, reading)
    ]
    for contribution, explanation in signals:
        if contribution.weight > 0 and not explanation.combined:
            reasons += explanation.reasons(contribution, reading)
    return reasons


def build_reasons(
    contributions: Sequence[Contribution],
    *,
    label: str,
    reading: ListingReading,
    max_terms: int = 3,
    max_metadata: int = 3,
) -> list[Reason]:
    """The strongest positive evidence for ``label``: learned terms, metadata signals, then text signals.

    ``contributions`` are those to ``label``'s output, strongest first; at most ``max_terms`` learned terms and
    ``max_metadata`` metadata reasons are kept.
    """
    positive = [c for c in contributions if c.weight > 0]
    metadata: list[Reason] = []
    for contribution in positive:
        if contribution.kind == "metadata" and len(metadata) < max_metadata:
            metadata += _explain(contribution, reading)
    terms = _learned_terms(positive, label=label, max_terms=max_terms)
    return terms + metadata + build_signal_reasons(contributions, reading=reading)
