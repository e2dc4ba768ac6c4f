"""How each feature explains itself: the reason, in Vietnamese, it gives a reviewer when it raises a score.

Every feature in the registries of ``model.features`` carries one of these. ``model.reasons`` asks each
contributing feature for its reasons instead of matching feature names, so a renamed feature keeps its reason.
An explanation reads the ``ListingReading`` (the listing and what was read out of it once: text views, price
check, misspelt brands); it never reads the listing again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from model.brand_evasion import written_form
from model.brands import brand_of
from model.feature_base import Contribution, Explanation
from model.labels import describe_label
from model.lexicon import find_written_form, load_lexicon
from model.reading import ListingReading
from model.reasons import build_price_reason
from model.schema import Listing, Reason


@dataclass(frozen=True)
class Silent(Explanation):
    """A feature that moves the score but gives a reviewer nothing to check ("where it ships from is unknown")."""

    why: str


@dataclass(frozen=True)
class Measure(Explanation):
    """A continuous metadata feature: reported with its value and whether it is unusually low or high."""

    description: str
    show: Callable[[Listing], str | None]  # the raw value formatted for reviewers, None when unknown
    kind: Literal["metadata", "price"] = "metadata"

    def reasons(self, contribution: Contribution, reading: ListingReading) -> list[Reason]:
        shown = self.show(reading.listing)
        if not shown:
            return []
        level = "thấp" if contribution.value < 0 else "cao"
        text = f"{self.description.capitalize()} {shown}, {level} so với tin đăng bình thường."
        return [
            Reason(kind=self.kind, label=contribution.label, evidence=shown, weight=contribution.rounded, text=text)
        ]


def _named_reason(contribution: Contribution, text: str) -> Reason:
    """A metadata reason whose evidence is the feature's name (what reviewers and clients have always seen)."""
    return Reason(
        kind="metadata", label=contribution.label, evidence=contribution.name, weight=contribution.rounded, text=text
    )


@dataclass(frozen=True)
class Indicator(Explanation):
    """A metadata indicator, explained when it is switched on (its standardised value is above its mean)."""

    description: str

    def reasons(self, contribution: Contribution, reading: ListingReading) -> list[Reason]:
        if contribution.value <= 0:
            return []
        text = f"{self.description.capitalize()}."
        return [_named_reason(contribution, text)]


@dataclass(frozen=True)
class Statement(Explanation):
    """A text signal explained by one fixed sentence (contact details left for a deal off the platform)."""

    text: str

    def reasons(self, contribution: Contribution, reading: ListingReading) -> list[Reason]:
        return [_named_reason(contribution, self.text)]


@dataclass(frozen=True)
class NewSellerBrand(Explanation):
    """A new seller account, not an official store, selling a known brand: named with the brand it sells."""

    new_account_days: int

    def reasons(self, contribution: Contribution, reading: ListingReading) -> list[Reason]:
        brand = brand_of(reading.listing.brand or "")
        if contribution.value <= 0 or brand is None:
            return []
        text = (
            f"Tài khoản người bán mới (dưới {self.new_account_days} ngày), không phải shop chính hãng, "
            f"bán hàng hiệu {brand}: kiểu shop mở nhanh để bán hàng nhái."
        )
        return [_named_reason(contribution, text)]


_KIND_VI = {"term": "từ khóa", "code_word": "từ lóng", "emoji": "biểu tượng"}


@dataclass(frozen=True)
class LexiconTerms(Explanation):
    """The lexicon terms of one category as the listing writes them, each with the category's legal basis."""

    category_id: str

    def reasons(self, contribution: Contribution, reading: ListingReading) -> list[Reason]:
        category = load_lexicon().category(self.category_id)
        views = reading.views
        reasons = []
        # each distinct hit once: a term repeated a thousand times is one piece of evidence, and one search
        for hit in dict.fromkeys(h for h in views.lexicon_hits if h.category == category.id):
            written = find_written_form(hit.term, views.raw) or hit.term
            reasons.append(
                Reason(
                    kind="term",
                    label=contribution.label,
                    evidence=written,
                    normalized=hit.term,
                    category=category.name_vi,
                    legal_basis=list(category.legal_basis),
                    weight=contribution.rounded,
                    text=f"“{written}” là {_KIND_VI.get(hit.kind, 'từ khóa')} “{hit.term}” thuộc nhóm "
                    f"{category.name_vi} ({describe_label(category.label)}).",
                )
            )
        return reasons


@dataclass(frozen=True)
class PriceAgainstReference(Explanation):
    """The price features together: one reason, its text from the listing's ``PriceCheck``, when below it."""

    combined = True

    def reasons(self, contribution: Contribution, reading: ListingReading) -> list[Reason]:
        reason = build_price_reason(reading.price_check, label=contribution.label, weight=contribution.weight)
        return [] if reason is None else [reason]


_MISSPELT_TEXT = "Tên thương hiệu viết chệch “{written}” ({brand}): cách viết né bộ lọc thường gặp ở hàng nhái."
_EVASIVE_TEXT = (
    "Tên thương hiệu viết lách “{written}” ({brand}): viết bằng ký hiệu, chữ số hoặc chữ viết tắt để né bộ lọc, "
    "thường gặp ở hàng nhái."
)


@dataclass(frozen=True)
class WrittenBrands(Explanation):
    """Brands written other than their known spellings: misspelt ("Rolexx"), or with symbols and hints ("D!or")."""

    def reasons(self, contribution: Contribution, reading: ListingReading) -> list[Reason]:
        raw = reading.views.raw
        found = [
            (find_written_form(written, raw) or written, brand, _MISSPELT_TEXT)
            for written, brand in reading.misspelt_brands
        ]
        found += [
            (written_form(evasive, raw), evasive.canonical, _EVASIVE_TEXT) for evasive in reading.views.evasive_brands
        ]
        return [
            Reason(
                kind="term",
                label=contribution.label,
                evidence=written,
                normalized=brand,
                weight=contribution.rounded,
                text=template.format(written=written, brand=brand),
            )
            for written, brand, template in found
        ]
