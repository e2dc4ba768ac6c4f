"""What linking costs as operators post the same texts again and again (one link on dozens of pages): store the same
listings (``make bench``'s real listings, new ids each round, so a copy per round) round after round into an empty
store, and report per round the CPU per listing of storing with linking, and of linking alone.

    python scripts/bench_reposts.py --rounds 10 [--pg-url postgresql+psycopg://...] [--out reports/bench_reposts.json]

A store where each text already has k copies is what a crawler meets when operators repost: the k+1-th copy should
cost what the second did. CPU is this process's (the scoring thread, SQLAlchemy, and SQLite itself); on PostgreSQL
the server's CPU is reported beside it for a local cluster. The machine may be shared: compare rounds of one run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from process_cpu import postgres_cpu_s
from serve_process import on_each_database, write_report

from model.predictor import Predictor
from serving.case_linker import CaseLinker
from serving.case_setup import build_linker
from serving.scoring import score_and_store
from serving.settings import Settings, get_settings
from serving.storage.db import Database
from serving.storage.migrate import upgrade_database
from training.bench_serving_speed import bench_listings

BATCH = 64


@dataclass(frozen=True)
class TimedLinker(CaseLinker):
    """The API's linker, adding up the CPU its ``link`` (in the storing transaction) takes."""

    spent_s: list[float] = field(default_factory=lambda: [0.0])

    @classmethod
    def of(cls, linker: CaseLinker) -> TimedLinker:
        return cls(**{f.name: getattr(linker, f.name) for f in fields(CaseLinker)})

    def link(self, *args: Any, **kwargs: Any) -> set[int]:
        begun = time.thread_time()
        try:
            return super().link(*args, **kwargs)
        finally:
            self.spent_s[0] += time.thread_time() - begun


def store_round(
    db: Database, settings: Settings, predictor: Predictor, linker: TimedLinker, listings: list, round_: int
) -> dict:
    """Store one copy of every listing (ids of this round), 64 a batch, as the API's scoring routes do
    (``score_and_store``); CPU per listing, all of it (scoring, fingerprints, storing, linking) and linking alone."""
    linker.spent_s[0] = 0.0
    database_begun = postgres_cpu_s(db) if db.engine.dialect.name == "postgresql" else None
    begun, wall = time.thread_time(), time.perf_counter()
    for start in range(0, len(listings), BATCH):
        batch = [
            listing.model_copy(update={"id": f"r{round_}-{listing.id}"}) for listing in listings[start : start + BATCH]
        ]
        score_and_store(
            batch, [None] * len(batch), predictor=predictor, db=db, settings=settings, dry_run=False, linker=linker
        )
    cpu, wall = time.thread_time() - begun, time.perf_counter() - wall
    result = {"round": round_, "cpu_ms_per_listing": 1000 * cpu / len(listings),
              "linking_cpu_ms_per_listing": 1000 * linker.spent_s[0] / len(listings),
              "wall_ms_per_listing": 1000 * wall / len(listings)}  # fmt: skip
    if database_begun is not None:
        result["database_cpu_ms_per_listing"] = 1000 * (postgres_cpu_s(db) - database_begun) / len(listings)
    return result


def run(database_url: str, rounds: int, model: str) -> list[dict]:
    """Every round's figures, printed as they come."""
    settings = get_settings().model_copy(update={"database_url": database_url})
    db = Database(settings)
    upgrade_database(db.engine)
    predictor = Predictor.load(model, served="linear")
    # as the API builds it (the identifier key from SOI_IDENTIFIER_KEY or its file)
    linker = TimedLinker.of(build_linker(settings))
    listings, source = bench_listings()
    print(f"{len(listings)} listings ({source}) per round, {database_url.split(':')[0]}", flush=True)
    results = []
    for round_ in range(rounds):
        results.append(store_round(db, settings, predictor, linker, listings, round_))
        print(json.dumps(results[-1]), flush=True)
    db.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--model", default="models")
    parser.add_argument("--pg-url", help="an empty PostgreSQL database this benchmark may wipe")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report = on_each_database(lambda url: run(url, args.rounds, args.model), pg_url=args.pg_url, name="reposts")
    write_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
