"""What storing costs, apart from scoring: the CPU of one storing transaction (fingerprints, storing, linking:
``store_and_link``, what every scoring route runs after the model) split into a part per transaction and a part per
listing, on SQLite and PostgreSQL.

    python scripts/bench_store.py [--pg-url postgresql+psycopg://...] [--out reports/bench_store.json]

Real listings (tiki_fashion, else the seed), all distinct: the first 4,000 fill the store, then new ones are stored
in transactions of 8 and of 64 listings, alternately, three times. Two sizes give two unknowns: per listing =
(T64 − T8) / 56 and per transaction = T8 − 8 × per listing. The part per transaction is what a micro-batch of
concurrent single requests pays for each of its few listings; the part per listing is what a batch of 64 pays.
CPU is this process's (SQLAlchemy, the driver, and SQLite itself); PostgreSQL's own is reported beside it for a
local cluster. The machine may be shared: compare the three rounds of one run, and codes in alternating runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from process_cpu import postgres_cpu_s
from serve_process import crawler_listings, on_each_database, write_report

from model.predictor import Predictor
from model.schema import Listing
from serving.case_linker import store_and_link
from serving.case_setup import build_linker
from serving.settings import get_settings
from serving.storage.db import Database
from serving.storage.listings import ScoredListing
from serving.storage.migrate import upgrade_database

FILL = 4_000
PER_SIZE = 512  # listings stored per transaction size and round
SIZES = (8, 64)
ROUNDS = 3


def _timed(db: Database, predictor: Predictor, linker, listings: list[Listing], size: int) -> tuple[float, float]:
    """(CPU ms of this process, of PostgreSQL) per transaction, storing ``listings`` ``size`` at a time."""
    cpu = 0.0
    database_begun = postgres_cpu_s(db) if db.dialect == "postgresql" else None
    for start in range(0, len(listings), size):
        batch = listings[start : start + size]
        items = [ScoredListing(raw=listing.model_dump(mode="json"), listing=listing, score=score)
                 for listing, score in zip(batch, predictor.score(batch), strict=True)]  # fmt: skip
        begun = time.thread_time()
        store_and_link(db, items, thresholds=predictor.thresholds, linker=linker)
        cpu += time.thread_time() - begun
    database = postgres_cpu_s(db) - database_begun if database_begun is not None else 0.0  # scoring takes none
    transactions = len(listings) / size
    return 1000 * cpu / transactions, 1000 * database / transactions


def run(database_url: str, model: str) -> dict:
    """Each round's split, and the medians."""
    settings = get_settings().model_copy(update={"database_url": database_url})
    db = Database(settings)
    upgrade_database(db.engine)
    predictor = Predictor.load(model, served="linear")
    linker = build_linker(settings)  # as the API builds it (the identifier key from SOI_IDENTIFIER_KEY or its file)
    raw, source = crawler_listings(FILL + ROUNDS * len(SIZES) * PER_SIZE)
    listings = [Listing.model_validate(item) for item in raw]
    for start in range(0, FILL, 64):
        batch = listings[start : start + 64]
        items = [ScoredListing(raw=listing.model_dump(mode="json"), listing=listing, score=score)
                 for listing, score in zip(batch, predictor.score(batch), strict=True)]  # fmt: skip
        store_and_link(db, items, thresholds=predictor.thresholds, linker=linker)
    print(f"{database_url.split(':')[0]}: {FILL} listings stored first ({source})", flush=True)
    rounds, next_listing = [], FILL
    for round_ in range(ROUNDS):
        per_size = {}
        for size in SIZES:
            per_size[size] = _timed(db, predictor, linker, listings[next_listing : next_listing + PER_SIZE], size)
            next_listing += PER_SIZE
        (small, small_db), (large, large_db) = per_size[SIZES[0]], per_size[SIZES[1]]
        span = SIZES[1] - SIZES[0]
        result = {"round": round_, "transaction_cpu_ms": {str(size): per_size[size][0] for size in SIZES},
                  "per_listing_cpu_ms": (large - small) / span,
                  "per_transaction_cpu_ms": small - SIZES[0] * (large - small) / span}  # fmt: skip
        if db.dialect == "postgresql":
            result["database_per_listing_cpu_ms"] = (large_db - small_db) / span
            result["database_per_transaction_cpu_ms"] = small_db - SIZES[0] * (large_db - small_db) / span
        rounds.append(result)
        print(json.dumps(result), flush=True)
    db.dispose()
    keys = [key for key in rounds[0] if key.endswith("_cpu_ms") and key != "transaction_cpu_ms"]
    return {
        "source": source,
        "rounds": rounds,
        "median": {key: statistics.median(r[key] for r in rounds) for key in keys},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models")
    parser.add_argument("--pg-url", help="an empty PostgreSQL database this benchmark may wipe")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report = on_each_database(lambda url: run(url, args.model), pg_url=args.pg_url, name="store")
    for name, result in report.items():
        median = result["median"]
        line = f"{name}: {median['per_transaction_cpu_ms']:.2f} ms per transaction + "
        line += f"{median['per_listing_cpu_ms']:.3f} ms per listing"
        if "database_per_listing_cpu_ms" in median:
            line += f" (PostgreSQL's own: {median['database_per_transaction_cpu_ms']:.2f} + "
            line += f"{median['database_per_listing_cpu_ms']:.3f} ms)"
        print(line)
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
