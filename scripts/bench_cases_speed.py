"""What linking costs at ingest with a large store (``make bench-cases-speed``): bulk-load N synthetic stored listings
with their operators, link rows (two signatures each), identifier index and LSH buckets, then store batches of
new listings (the seed's, 64 a batch) alternately with and without linking, and report the difference per listing.

    python scripts/bench_cases_speed.py --stored 1000000 [--pg-url postgresql+psycopg://...] --out reports/...

The bulk load takes minutes, the timing seconds. ``--sqlite-path FILE --reuse`` keeps the SQLite store in FILE and, when
it already holds ``--stored`` listings (and, with ``--pg-url``, the database too), skips the bulk load, so the timing
can be repeated on a quiet machine; each run's new listings get ids of their own.

CPU time (this process: fingerprints, SQLAlchemy, SQLite itself) and wall time are both reported; on PostgreSQL
the server's CPU is not in the process time, so wall time is the figure there. The machine may be shared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import inspect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from serve_process import wipe_postgresql

from model.jsonl import iter_listings
from model.labels import review_labels
from model.near_duplicates import NUM_PERM, _lsh_shape
from model.schema import Score
from serving.case_linker import CaseLinker, store_and_link
from serving.settings import get_settings
from serving.storage.db import Database
from serving.storage.listings import ScoredListing
from serving.storage.migrate import upgrade_database
from training.dataset import seed_listings

CHUNK = 50_000
BATCH = 64
# (table, columns) bulk-loaded; secondary indexes are dropped before and built after, as a bulk load should
TABLES = {
    "listings": ["id", "key", "key_hash", "platform", "external_id", "title", "first_seen", "last_seen",
                 "latest_risk", "latest_priority"],
    "operators": ["id", "listing_count", "seller_count", "platforms", "max_risk", "flagged", "flagged_counts",
                  "first_seen", "last_seen", "gone_count", "gone_within_48h", "is_case", "updated_at"],
    "listing_links": ["listing_id", "operator_id", "snapshot_id", "signature", "full_signature", "seller_key",
                      "linked_at"],
    "identifiers": ["value_hash", "kind", "operator_id", "listing_count", "seller_count", "common", "first_seen"],
    "identifier_listings": ["value_hash", "listing_id", "snapshot_id", "seller_key", "first_seen"],
    "lsh_buckets": ["bucket", "listing_id"],
}  # fmt: skip
INDEXES = {
    "ix_listing_links_operator_id": "listing_links (operator_id)",
    "ix_identifiers_operator_id": "identifiers (operator_id)",
    "ix_identifier_listings_listing": "identifier_listings (listing_id)",
    "ix_identifier_listings_seller": "identifier_listings (value_hash, seller_key)",
    "ix_operators_cases": "operators (is_case, max_risk, id)",
    "ix_listings_queue": "listings (reviewed_at, latest_risk, id)",
    "ix_listings_uncertain": "listings (reviewed_at, latest_uncertainty, id)",
    "ix_listings_platform": "listings (platform)",
}


def synthetic_rows(start: int, stop: int, rng: np.random.Generator, now: str) -> dict[str, list[tuple]]:
    """Rows of listings start..stop-1: operators of 1 to 8 listings, 2 identifiers each, random signatures."""
    bands, _rows = _lsh_shape()
    ids = np.arange(start, stop)
    operator = ids - (ids % rng.integers(1, 9))
    operator = np.maximum(operator, start)
    signatures = rng.integers(0, 2**32, size=(len(ids), NUM_PERM), dtype=np.uint32)
    buckets = rng.integers(-(2**63), 2**63 - 1, size=(len(ids), bands), dtype=np.int64)
    hashes = [hashlib.md5(f"{kind}{i}".encode()).hexdigest() for i in ids.tolist() for kind in ("p", "z")]
    out: dict[str, list[tuple]] = {name: [] for name in TABLES}
    for n, i in enumerate(ids.tolist()):
        key = f"id:bench:{i}"
        out["listings"].append((i, key, hashlib.sha256(key.encode()).hexdigest(), "facebook", str(i), f"tin {i}", now,
                                now, 0.5, "medium"))  # fmt: skip
        out["operators"].append((i, 1, 1, "|facebook|", 0.5, "|", "{}", now, now, 0, 0, False, now))
        signature = signatures[n].tobytes()
        out["listing_links"].append((i, int(operator[n]), i, signature, signature, f"s{i}", now))
        for h in hashes[2 * n : 2 * n + 2]:
            out["identifiers"].append((h, "phone", int(operator[n]), 1, 1, False, now))
            out["identifier_listings"].append((h, i, i, f"s{i}", now))
        out["lsh_buckets"] += [(int(b), i) for b in buckets[n]]
    out["lsh_buckets"].sort()  # in key order: the bucket table is one B-tree ordered by (bucket, listing)
    return out


def bulk_load(db: Database, stored: int) -> float:
    """Load ``stored`` synthetic listings as fast as the database takes them; returns the seconds it took."""
    started = time.perf_counter()
    postgres = db.dialect == "postgresql"
    # the text form each database's SQLAlchemy type reads back
    now = datetime.now(UTC).isoformat() if postgres else datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rng = np.random.default_rng(7)
    raw = db.engine.raw_connection()
    cursor = raw.cursor()
    if not postgres:
        cursor.execute("PRAGMA cache_size=-2097152")  # 2 GiB while loading: the bucket B-tree is written at random
    for name in INDEXES:
        cursor.execute(f"DROP INDEX IF EXISTS {name}")
    for start in range(1, stored + 1, CHUNK):
        rows = synthetic_rows(start, min(stored + 1, start + CHUNK), rng, now)
        if not postgres:
            cursor.execute("BEGIN")  # the engine's SQLite connections leave transactions to the caller
        for table, columns in TABLES.items():
            if postgres:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows[table]:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows[table])
        raw.commit()
    for name, target in INDEXES.items():
        cursor.execute(f"CREATE INDEX {name} ON {target}")
    if postgres:
        cursor.execute("SELECT setval('listings_id_seq', (SELECT max(id) FROM listings))")
        raw.commit()
        cursor.execute("ANALYZE")
    else:
        cursor.execute("ANALYZE")
    raw.commit()
    raw.close()
    return time.perf_counter() - started


def ingest(db: Database, linker: CaseLinker, batches: list[list[tuple]], *, link: bool) -> dict[str, float]:
    """Store (and link) batches as the scoring route does; wall and process CPU time per listing."""
    wall = cpu = 0.0
    count = 0
    for batch in batches:
        started, cpu_started = time.perf_counter(), time.process_time()
        items = [
            ScoredListing(raw=raw, listing=listing, score=Score(listing_id=listing.id, model_version="bench", risk=0.5,
                          probabilities={"prohibited": 0.5}, flagged=[], priority="medium"))
            for listing, raw in batch
        ]  # fmt: skip
        store_and_link(db, items, thresholds={"prohibited": 0.5}, linker=linker if link else None)
        wall += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        count += len(batch)
    return {"ms_per_listing_wall": round(1000 * wall / count, 3), "ms_per_listing_cpu": round(1000 * cpu / count, 3)}


def stored_count(db: Database) -> int:
    """How many listings the store holds (0 when it has no tables yet)."""
    if not inspect(db.engine).has_table("listings"):
        return 0
    with db.engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT count(*) FROM listings").scalar_one())


def run(url: str, stored: int, rounds: int, *, reuse: bool = False) -> dict:
    """Bulk-load (unless ``reuse`` and the store already holds ``stored`` listings), then alternate linked and
    unlinked batches of new listings."""
    db = Database(get_settings(database_url=url))
    load_s: float | None = None
    fresh = not (reuse and stored_count(db) >= stored)
    if fresh and db.dialect == "postgresql":  # --pg-url names a database this benchmark may wipe
        wipe_postgresql(db)
    upgrade_database(db.engine)  # a store kept from an earlier run takes the migrations since
    if fresh:
        load_s = round(bulk_load(db, stored), 1)
    already = stored_count(db)
    linker = CaseLinker(identifier_key=b"bench", max_sellers=100, labels=tuple(review_labels()))
    seed = list(iter_listings(seed_listings()))
    # a reused store holds earlier runs' new listings: this run takes ids of its own and the seed's next listings,
    # so that it does not re-link the texts an earlier run stored
    timed = min(len(seed), 2 * rounds * BATCH)
    offset = (max(0, already - stored) // timed * timed) % len(seed)
    new = [
        (listing.model_copy(update={"id": f"new{already}-{n}"}), {**raw, "id": f"new{already}-{n}"})
        for n, (listing, raw) in enumerate((seed + seed)[offset : offset + timed])
    ]
    batches = [new[i : i + BATCH] for i in range(0, timed, BATCH)]
    linked, plain = [], []
    for index, batch in enumerate(batches):  # alternate, so that anything else on the machine weighs on both
        (linked if index % 2 == 0 else plain).append(batch)
    with_link = ingest(db, linker, linked, link=True)
    without = ingest(db, linker, plain, link=False)
    db.dispose()
    added = {k: round(with_link[k] - without[k], 3) for k in with_link}
    return {"database": db.dialect, "stored": already, "bulk_load_s": load_s, "listings_timed": timed,
            "with_linking": with_link, "without_linking": without, "linking_adds": added}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15, help="batches of 64 timed with linking (and as many without)")
    parser.add_argument("--pg-url", default=None, help="also run on this (empty, wipeable) PostgreSQL database")
    parser.add_argument("--out", default="reports/bench_cases_speed.json")
    parser.add_argument("--sqlite-path", default=None, help="keep the SQLite store in this file (default: temporary)")
    parser.add_argument("--reuse", action="store_true", help="skip the bulk load of a store that is already full")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None, help="run one database only")
    args = parser.parse_args()
    results = []
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(args.sqlite_path) if args.sqlite_path else Path(folder) / "speed.db"
            results.append(run(f"sqlite:///{path}", args.stored, args.rounds, reuse=args.reuse))
            print(json.dumps(results[-1]))
    if args.pg_url and args.only != "sqlite":
        results.append(run(args.pg_url, args.stored, args.rounds, reuse=args.reuse))
        print(json.dumps(results[-1]))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
