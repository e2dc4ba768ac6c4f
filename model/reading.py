"""The reading of a listing (``ListingReading``): the listing and the evidence read out of it once (its price
check, misspelt brands, lexicon hits per category), which the signal features and their reasons both read."""

from __future__ import annotations

from dataclasses import dataclass

from model.lexicon import load_lexicon
from model.market.neighbours import NeighbourTable
from model.market.reference import PriceCheck, check_price
from model.schema import Listing
from model.text_views import TextViews, misspelt_brands


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
