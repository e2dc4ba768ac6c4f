"""Learning the near-duplicate stop-list: shingles that several unrelated honest sellers write.

``python -m training stop-shingles`` learns it from the seed's clean listings into ``model/stop_shingles.json``
(the committed default); ``--real`` adds the free real listings of ../shared (tiki_fashion, shopee_menfashion)
and must then write elsewhere (``--out``): nothing from ../shared is committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from model.errors import DataError
from model.jsonl import iter_listings
from model.near_duplicates import STOP_SHINGLES_FILE, StopShingles, learn_stop_shingles
from model.schema import Listing
from training.dataset import find_shared_dir, seed_listings

REAL_FILES = ("tiki_fashion.jsonl", "shopee_menfashion.jsonl")  # free to use; never the false-alarm benchmark
MIN_SELLERS = 2  # chosen on the test world of make bench-cases (README)


def clean_listings(*, real: bool) -> tuple[Iterator[Listing], list[str]]:
    """The seed's clean listings, and with ``real`` the free real files; with the names of what was read."""
    seed = seed_listings()
    sources = [str(seed.relative_to(seed.parents[2]))]
    paths = [seed]
    if real:
        shared = find_shared_dir()
        if shared is None:
            raise DataError("--real needs ../shared beside the project; it is not there")
        paths += [shared / "data" / "real-listings" / name for name in REAL_FILES]
        sources += [f"../shared/data/real-listings/{name}" for name in REAL_FILES]

    def listings() -> Iterator[Listing]:
        for path in paths:
            for listing, _raw in iter_listings(path):
                if not listing.labels:
                    yield listing

    return listings(), sources


def write_stop_shingles(out: Path, *, real: bool, min_sellers: int = MIN_SELLERS) -> int:
    """Learn and write the stop-list; returns how many shingles it holds."""
    if real and out.resolve() == STOP_SHINGLES_FILE.resolve():
        raise DataError("a stop-list learned from ../shared must not replace the committed default: pass --out")
    listings, sources = clean_listings(real=real)
    shingles = learn_stop_shingles(listings, min_sellers=min_sellers)
    document = StopShingles(
        description="Word 3-grams (tone marks folded) written by at least min_sellers different sellers of clean "
        "listings: text honest shops share, which never makes two listings near-duplicates.",
        learned_from=sources,
        min_sellers=min_sellers,
        shingles=shingles,
    )
    out.write_text(json.dumps(document.model_dump(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return len(shingles)
