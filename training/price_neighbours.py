"""Fitting the neighbour price table (``model.market.neighbours``) from clean training listings and real ones.

Only genuine prices go in: clean training listings (never a risky one), and the usable real listings of
../shared (``tiki_fashion``, ``shopee_menfashion``), whole files, read cheaply (brand field or brand in the
title, title words, price). Never the false-alarm benchmark (``shopee_beauty``, ``tiki_12cat``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import numpy as np

from model.brands import brand_min_price, brand_of, find_brands
from model.errors import DataError
from model.jsonl import iter_listings
from model.market.neighbours import NeighbourTable, fit_neighbour_table
from model.market.reference import fold_title
from model.schema import Listing
from model.text_views import TextViews, listing_brand, listing_price
from training.dataset import FALSE_ALARM_FILES, find_shared_dir

log = logging.getLogger(__name__)


def _genuine(brand: str | None, price: float | None) -> bool:
    """A known brand and a price at or above any genuine item of it (below it is a fake's price)."""
    if not brand or price is None or not price > 0:
        return False
    floor = brand_min_price(brand)
    return floor is None or price >= floor


def _real_items(files: Sequence[str]) -> Iterator[tuple[str, str, float]]:
    """(brand, title, price) of real listings with a known brand, from the named files of ../shared."""
    forbidden = sorted(set(files) & set(FALSE_ALARM_FILES))
    if forbidden:
        raise DataError(f"{forbidden} are the held-out false-alarm benchmark and never feed the price reference")
    shared = find_shared_dir()
    if shared is None:
        return
    for name in files:
        path = shared / "data" / "real-listings" / name
        if not path.is_file():
            continue
        for listing, _raw in iter_listings(path):
            brand = brand_of(listing.brand) if listing.brand else None
            if brand is None:
                found = find_brands(fold_title(listing.title))
                brand = found[0][1] if found else None
            if _genuine(brand, listing.price):
                yield brand, listing.title, float(listing.price)  # type: ignore[arg-type]


def fit_price_neighbours(
    listings: Sequence[Listing], views: Sequence[TextViews], *, risky: np.ndarray, real_files: Sequence[str] = ()
) -> NeighbourTable:
    """The neighbour table of the clean training listings plus the real listings of ``real_files``."""
    items: list[tuple[str, str, float]] = []
    for listing, view, is_risky in zip(listings, views, risky, strict=True):
        brand, price = listing_brand(listing, view), listing_price(listing, view)
        if not is_risky and _genuine(brand, price):
            items.append((brand, listing.title, float(price)))  # type: ignore[arg-type]
    clean = len(items)
    items += _real_items(real_files)
    table = fit_neighbour_table(items)
    log.info(
        "price neighbours: %d entries over %d brands, from %d clean training and %d real listings with a brand",
        len(table),
        len(table.entries),
        clean,
        len(items) - clean,
    )
    return table
