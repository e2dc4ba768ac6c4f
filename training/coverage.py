"""How much of a data set the price reference covers: catalogue product, neighbours, brand minimum, or nothing.

A measurement for ``make eval`` (``python -m training eval``): on the seed test split, the blind and independent
sets, and the real false-alarm files when ../shared is present. Coverage on the real files is measured, never
tuned on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from model.market.catalogue import Catalogue
from model.market.neighbours import NeighbourTable
from model.market.reference import SOURCES, check_price
from model.predictor import Predictor
from model.schema import Listing
from model.text_views import TextViews, listing_price
from training.dataset import FALSE_ALARM_FILES, find_shared_dir, load_listings

# Labelled sets read for coverage when present (paths relative to the project root).
COVERAGE_FILES = {
    "holdout": "data/holdout/listings.jsonl",
    "independent": "data/independent/listings.jsonl",
    "blind_counterfeit": "data/blind_counterfeit/listings.jsonl",
}
COLUMNS = (*SOURCES, "nothing")


@dataclass(frozen=True)
class Coverage:
    """Shares of listings by the price reference they were compared with; "nothing" includes unpriced ones."""

    listings: int
    catalogue: float
    neighbours: float
    brand_min: float
    nothing: float
    no_price: float  # the part of "nothing" that has no price at all


def price_coverage(
    listings: Sequence[Listing],
    views: Sequence[TextViews],
    neighbours: NeighbourTable | None,
    *,
    catalogue: Catalogue | None = None,
) -> Coverage:
    """The coverage of ``check_price`` over listings (with their text views)."""
    counts: Counter[str] = Counter()
    for listing, view in zip(listings, views, strict=True):
        check = check_price(listing, view, neighbours, catalogue=catalogue)
        counts[check.source if check else "nothing"] += 1
        counts["no_price"] += listing_price(listing, view) is None
    total = max(len(listings), 1)
    shares = {name: counts[name] / total for name in (*COLUMNS, "no_price")}
    return Coverage(listings=len(listings), **shares)


def render_coverage_table(rows: dict[str, Coverage]) -> str:
    """A markdown table, one row per data set."""
    lines = [
        "| data set | listings | catalogue | neighbours | brand minimum | nothing (no price) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row.listings} | {row.catalogue:.1%} | {row.neighbours:.1%} | {row.brand_min:.1%} "
            f"| {row.nothing:.1%} ({row.no_price:.1%}) |"
        )
    return "\n".join(lines)


def coverage_report(predictor: Predictor, seed_test: Sequence[Listing], *, root: Path) -> dict[str, Any]:
    """Coverage on the seed test split, the evaluation sets under ``root`` and the real files; printed and returned."""
    sets: dict[str, Sequence[Listing]] = {"seed test": seed_test}
    for name, file in COVERAGE_FILES.items():
        if (root / file).is_file():
            sets[name] = load_listings(root / file)
    shared = find_shared_dir()
    for name in FALSE_ALARM_FILES if shared else ():
        path = shared / "data" / "real-listings" / name  # type: ignore[operator]
        if path.is_file():
            sets[f"real {name.removesuffix('.jsonl')}"] = load_listings(path)
    scorer = predictor.linear
    rows = {
        name: price_coverage(listings, scorer.build_views(listings), scorer.price_reference)
        for name, listings in sets.items()
    }
    print("price reference coverage (share of listings compared with each reference):")
    print(render_coverage_table(rows))
    print()
    return {name: asdict(row) for name, row in rows.items()}
