"""The price check: a listing's unit price against the best reference known for what it sells.

In order: the catalogue product it names (genuine new range, or the used range when the listing says used),
else the median price of similar genuine listings of its brand (neighbours), else the brand's lowest genuine
price (``brands.json`` ``min_price_vnd``). A listing without a price, or selling what nobody knows, gets None:
no price evidence rather than wrong evidence. The result is a typed object: features and reasons read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Literal

from model.brands import brand_min_price
from model.folding import fold_diacritics
from model.market.catalogue import Catalogue, load_catalogue
from model.market.condition import Condition, read_condition
from model.market.match import is_accessory_title, match_product
from model.market.neighbours import (
    MAX_TITLE_CHARS,
    NeighbourTable,
    folded_neighbour_key,
    folded_title_tokens,
)
from model.market.phrases import PhraseIndex, tokenize
from model.market.quantity import Quantity, read_quantity
from model.market.words import load_words
from model.text import normalize_text
from model.text_views import TextViews, listing_brand, listing_price

if TYPE_CHECKING:
    from model.schema import Listing

Source = Literal["catalogue", "neighbours", "brand_min"]
SOURCES: tuple[Source, ...] = ("catalogue", "neighbours", "brand_min")
# titles normalised lately: the price check and its reason read a listing's title more than once
TITLE_CACHE_SIZE = 256


# A used item whose product has no second-hand range in the catalogue is compared with this share of the lowest
# new price: genuine second-hand goods commonly sell at 30-70% of new, so only a price far below that is evidence.
USED_SHARE_WITHOUT_RANGE = 0.3


def used_range(new: tuple[float, float], used: tuple[float, float] | None) -> tuple[float, float]:
    """The genuine second-hand price range: the catalogue's, else from 30% of the lowest new price up to new."""
    return used if used is not None else (new[0] * USED_SHARE_WITHOUT_RANGE, new[1])


@dataclass(frozen=True)
class PriceCheck:
    """A listing's unit price compared with one reference, and everything a reviewer needs to check it."""

    source: Source
    subject: str  # the product ("iPhone 15 Pro Max 256GB") or the brand
    brand: str
    price_vnd: float  # as listed, for the whole quantity
    quantity: Quantity
    unit: str  # what one unit is ("chiếc", "bao"); "" when unknown
    condition: Condition
    reference_low_vnd: float
    reference_high_vnd: float
    used_reference: bool  # compared with the genuine second-hand range
    year: int | None
    n_neighbours: int
    product_id: str | None = None

    @property
    def unit_price_vnd(self) -> float:
        """The price of one unit."""
        return self.price_vnd / self.quantity.count

    @property
    def log_ratio(self) -> float:
        """log(unit price / the low end of the reference range): negative below it."""
        return math.log(self.unit_price_vnd) - math.log(self.reference_low_vnd)

    @property
    def share_of_reference(self) -> float:
        """The unit price as a share of the low end of the reference (0.1 = 10%)."""
        return self.unit_price_vnd / self.reference_low_vnd


@cache
def _partial_price_index() -> PhraseIndex[bool]:
    return PhraseIndex.build((phrase, True) for phrase in load_words()["partial_price"])


def is_partial_price(normalized: str) -> bool:
    """Whether the text says its price is not the goods' price: instalments, deposits, trade-in, rental, "từ"."""
    return any(True for _ in _partial_price_index().find(tokenize(normalized)))


def fold_title(title: str) -> str:
    """The folded form of a title's start, as the matcher reads it."""
    return fold_diacritics(normalize_title(title))


def normalize_title(title: str) -> str:
    """The normalised form (lower case, tone marks kept) of a title's start."""
    return _normalize_title_start(title[:MAX_TITLE_CHARS])


@lru_cache(maxsize=TITLE_CACHE_SIZE)  # keys are at most MAX_TITLE_CHARS long
def _normalize_title_start(start: str) -> str:
    return normalize_text(start)


def check_price(
    listing: Listing, views: TextViews, neighbours: NeighbourTable | None, *, catalogue: Catalogue | None = None
) -> PriceCheck | None:
    """The listing's price against the catalogue, else its neighbours, else its brand's minimum; None if unknown."""

    price = listing_price(listing, views)
    if price is None or not price > 0 or not math.isfinite(price):
        return None
    brand = listing_brand(listing, views)
    normalized_title = normalize_title(listing.title)
    match = match_product(normalized_title, brand, catalogue if catalogue is not None else load_catalogue())
    # most listings name no known product or brand: they are answered before the whole text is read for words
    # of partial prices and condition (the answer is None either way, so the order changes nothing else)
    if (match is None and brand is None) or is_partial_price(views.normalized):
        return None
    condition = read_condition(views.normalized)
    title = fold_diacritics(normalized_title)
    if match is not None:
        product = match.product
        # read in the title, where the price's quantity is written; the product's own name is not a count
        # ("Optimum Gold 4 lon": stage 4, one can)
        quantity = read_quantity(title.replace(match.alias, " ", 1), product.unit)
        used = condition.state == "used"
        low, high = used_range(product.price_vnd, product.used_price_vnd) if used else product.price_vnd
        return PriceCheck(
            "catalogue", product.name, product.brand, price, quantity, product.unit, condition,
            float(low), float(high), used, product.year, 0, product.id,
        )  # fmt: skip
    if brand is None:
        return None
    # ``title`` is the title as the neighbour table reads it (``folded_title``: the same start, normalised, folded)
    key = folded_neighbour_key(brand, title)
    found = neighbours.nearest(key, folded_title_tokens(title)) if neighbours is not None else None
    if found is not None:
        median = found.median_price_vnd
        return PriceCheck(
            "neighbours", brand, brand, price, Quantity(), "", condition, median, median, False, None, found.count
        )
    floor = brand_min_price(brand)
    # a genuine used item may sell below the brand's cheapest new one, and an accessory for a brand's product
    # ("ốp lưng iPhone") is not the brand's: no brand-minimum check for either
    if floor is not None and condition.state != "used" and not is_accessory_title(tokenize(title)):
        return PriceCheck("brand_min", brand, brand, price, Quantity(), "", condition, floor, floor, False, None, 0)
    return None
