"""Benchmark of ``make rescore`` in Ray local mode: 200,000 real listings (repeated with varied ids and prices),
the archive path and the stored path (SQLite; PostgreSQL with --pg-url), 1 and 2 workers; wall and CPU time,
each worker's peak memory, and a projection to a cluster. Generated at bench time in a temporary folder, never
kept; skipped cleanly when ../shared is absent.

    python scripts/bench_rescore.py --model models --out reports/bench_rescore.json   (make bench-rescore)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from process_cpu import descendants_cpu_s, postgres_cpu_s  # noqa: E402
from serve_process import wipe_postgresql  # noqa: E402

from model.schema import Listing, Score  # noqa: E402
from serving.rescore import engine  # noqa: E402
from serving.rescore.archive_job import ArchiveJob, rescore_archive  # noqa: E402
from serving.rescore.archive_job import local_engine as local_archive_engine  # noqa: E402
from serving.rescore.report import RescoreSummary  # noqa: E402
from serving.rescore.stored import make_job, rescore_stored  # noqa: E402
from serving.settings import get_settings  # noqa: E402
from serving.storage.db import Database  # noqa: E402
from serving.storage.listings import ScoredListing, store_scored  # noqa: E402
from serving.storage.migrate import upgrade_database  # noqa: E402
from serving.storage.models import utc_now  # noqa: E402
from training.dataset import find_shared_dir  # noqa: E402

REAL_FILES = ("tiki_fashion.jsonl", "shopee_menfashion.jsonl")  # free to use (never the false-alarm benchmark)
CONTRACT_FIELDS = ("platform", "url", "title", "description", "price", "category", "brand", "seller",
                   "ships_from", "sold_count", "image_count")  # fmt: skip
# the stored listings start with a score of another model, as after a promotion
PREVIOUS = Score(listing_id=None, model_version="bench-previous", risk=0.5, priority="medium", flagged=[],
                 probabilities={"counterfeit": 0.5, "smuggled": 0.1, "prohibited": 0.1})  # fmt: skip


def real_listings_dir() -> Path | None:
    """The folder of real listings in ../shared (or ``SOI_SHARED_DIR``), if the files are there."""
    shared = find_shared_dir()
    folder = shared / "data" / "real-listings" if shared else None
    return folder if folder and all((folder / name).is_file() for name in REAL_FILES) else None


def bench_listings(count: int) -> Iterator[dict[str, Any]]:
    """``count`` listings: the real ones over and over, each copy with its own id and a price moved by up to ±20%."""
    folder = real_listings_dir()
    assert folder is not None  # main() checked
    real = []
    for name in REAL_FILES:
        with (folder / name).open(encoding="utf-8") as handle:
            real += [{k: v for k, v in json.loads(line).items() if k in CONTRACT_FIELDS} for line in handle]
    for index, raw in enumerate(itertools.islice(itertools.cycle(real), count)):
        copy = {**raw, "id": f"bench-{index:07d}"}
        if copy.get("price"):
            copy["price"] = round(copy["price"] * (0.8 + (index * 7919 % 41) / 100))
        yield copy


def write_archive(folder: Path, count: int, shards: int) -> None:
    """The listings as ``shards`` JSONL files (the archive path's input)."""
    folder.mkdir(parents=True)
    handles = [(folder / f"crawl-{i:03d}.jsonl").open("w", encoding="utf-8") for i in range(shards)]
    for index, raw in enumerate(bench_listings(count)):
        handles[index * shards // count].write(json.dumps(raw, ensure_ascii=False) + "\n")
    for handle in handles:
        handle.close()


def build_database(url: str, count: int) -> float:
    """Store the listings with a previous model's score (as the API would have); returns the seconds it took."""
    started = time.perf_counter()
    db = Database(get_settings(database_url=url))
    upgrade_database(db.engine)
    listings = bench_listings(count)
    thresholds = {"counterfeit": 0.5, "smuggled": 0.5, "prohibited": 0.5}
    while chunk := list(itertools.islice(listings, 1000)):
        items = [ScoredListing(raw, Listing.model_validate(raw), PREVIOUS) for raw in chunk]
        with db.write() as session:
            store_scored(session, items, thresholds=thresholds, now=utc_now())
    db.dispose()
    return round(time.perf_counter() - started, 1)


def measure(summary: RescoreSummary, system_cpu_s: float | None) -> dict[str, Any]:
    """The numbers of one run."""
    workers = list(summary.workers.values())
    worker_cpu = sum(w.cpu_s for w in workers)
    return {
        "scored": summary.scored,
        "failed": summary.failed,
        "wall_s": summary.wall_s,
        "listings_per_s": summary.listings_per_s,
        "driver_cpu_s": summary.driver_cpu_s,
        "workers_cpu_s": round(worker_cpu, 1),
        "worker_cpu_ms_per_listing": round(1000 * worker_cpu / max(summary.scored, 1), 3),
        "ray_other_processes_cpu_s": system_cpu_s,
        "peak_rss_mb_per_worker": [w.peak_rss_mb for w in workers],
        "listings_per_worker": [w.listings for w in workers],
    }


def run(kind: str, workers: int, *, model: str, source: str, out: Path, db_url: str | None) -> dict[str, Any]:
    """One rescore of the whole set on Ray local mode with ``workers`` workers."""
    _description, workers = engine.start(workers)
    try:
        if kind == "archive":
            job = ArchiveJob.for_model(model, batch_size=256, settings=get_settings())
            summary = rescore_archive(source, out, job, engine.ray_archive_engine(workers), engine_name="ray",
                                      workers=workers, show_progress=False)  # fmt: skip
        else:
            stored_job = make_job(get_settings(database_url=db_url), model, page=500)
            summary = rescore_stored(stored_job, engine.ray_stored_engine(workers), engine_name="ray",
                                     workers=workers, ids_per_range=20_000, show_progress=False)  # fmt: skip
        result = measure(summary, descendants_cpu_s({w.pid for w in summary.workers.values()}))
    finally:
        engine.stop()
    print(f"{kind} {workers} worker(s): {result}", file=sys.stderr)
    return result


def scaling(first: dict[str, Any], last: dict[str, Any]) -> dict[str, float]:
    """From the fewest to the most workers: the wall-clock ratio (disturbed on a shared machine) and the CPU
    efficiency (worker CPU per listing with one worker over that with more: 1.0 = no cost to running together)."""
    return {
        "listings_per_s_ratio": round(last["listings_per_s"] / first["listings_per_s"], 2),
        "cpu_efficiency": round(first["worker_cpu_ms_per_listing"] / last["worker_cpu_ms_per_listing"], 2),
    }


def bench_postgresql(url: str, count: int, counts: list[int], *, model: str, out: Path) -> dict[str, Any]:
    """The stored path on PostgreSQL: built once, put back to the previous model between runs; the server's CPU
    time and the database's growth per listing measured too (the cluster projection's database)."""
    from sqlalchemy import text

    db = Database(get_settings(database_url=url))
    wipe_postgresql(db)  # the database is the bench's own: start empty
    results: dict[Any, Any] = {"build_s": build_database(url, count)}
    size = "SELECT pg_database_size(current_database())"
    for n in counts:
        with db.engine.connect() as connection:
            size_before = connection.execute(text(size)).scalar_one()
        cpu_before = postgres_cpu_s(db)
        results[n] = run("stored", n, model=model, source="", out=out, db_url=url)
        cpu_after = postgres_cpu_s(db)
        if cpu_before is not None and cpu_after is not None:
            results[n]["postgres_cpu_s"] = round(cpu_after - cpu_before, 1)
            results[n]["postgres_cpu_ms_per_listing"] = round(1000 * (cpu_after - cpu_before) / count, 3)
        with db.engine.connect() as connection:
            results[n]["db_growth_bytes_per_listing"] = round(
                (connection.execute(text(size)).scalar_one() - size_before) / count
            )
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM scores WHERE model_version != 'bench-previous'"))
            connection.execute(text("UPDATE listings SET latest_model_version = 'bench-previous'"))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    db.dispose()
    return results


def projection(report: dict[str, Any], fewest: int, most: int) -> dict[str, Any]:
    """What 500 million listings need on 10 nodes of 16 cores, from the CPU time measured per listing.

    Wall-clock speed on this shared machine says little; CPU time per listing does, and is assumed to hold per
    core on the cluster (same core speed). The workers' efficiency side by side is the measured one.
    """
    listings, nodes, cores = 500_000_000, 10, 16
    workers = nodes * (cores - 1)  # one core per node left to Ray, the read tasks and the OS
    efficiency = min(report["archive"]["scaling"]["cpu_efficiency"], 1.0)
    rss_mb = max(report["archive"][most]["peak_rss_mb_per_worker"] + report["sqlite"][most]["peak_rss_mb_per_worker"])

    def hours(cpu_ms: float) -> float:
        return round(listings * cpu_ms / 1000 / (workers * efficiency) / 3600, 2)

    archive_h, stored_h = (hours(report[p][most]["worker_cpu_ms_per_listing"]) for p in ("archive", "sqlite"))
    result: dict[str, Any] = {
        "assumptions": {
            "listings": listings,
            "nodes": nodes,
            "cores_per_node": cores,
            "workers": workers,
            "cpu_efficiency": efficiency,
        },
        "archive_hours": archive_h,
        "archive_listings_per_s": round(listings / (archive_h * 3600)),
        "stored_hours_if_the_database_keeps_up": stored_h,
        "stored_listings_per_s": round(listings / (stored_h * 3600)),
        "memory_per_node_gb": round((cores - 1) * rss_mb / 1024 + 4, 1),  # workers + ~4 GB for Ray and the OS
        "new_score_rows_gb_sqlite": round(listings * report["sqlite"][fewest]["db_growth_bytes_per_listing"] / 1e9),
    }
    postgresql = report.get("postgresql", {}).get(fewest, {})
    if "postgres_cpu_ms_per_listing" in postgresql:
        ms = postgresql["postgres_cpu_ms_per_listing"]
        result["postgres_cpu_ms_per_listing"] = ms
        result["postgres_cores_at_the_stored_rate"] = round(result["stored_listings_per_s"] * ms / 1000, 1)
        result["new_score_rows_gb_postgresql"] = round(listings * postgresql["db_growth_bytes_per_listing"] / 1e9)
    return result


def bench_archive(folder: Path, counts: list[int], *, model: str) -> dict[str, Any]:
    """The archive path: one shard in this process without Ray (the floor), then the whole archive on Ray."""
    job = ArchiveJob.for_model(model, batch_size=256, settings=get_settings())
    started = time.process_time()
    shard = str(folder / "crawl" / "crawl-000.jsonl")
    alone = rescore_archive(shard, folder / "local", job, local_archive_engine, engine_name="local", workers=1,
                            show_progress=False)  # fmt: skip
    cpu_s = time.process_time() - started  # this process is the worker: its CPU from loading the model to the end
    results: dict[Any, Any] = {
        "in_process_one_shard": {
            "scored": alone.scored,
            "wall_s": alone.wall_s,
            "listings_per_s": alone.listings_per_s,
            "cpu_s": round(cpu_s, 1),
            "cpu_ms_per_listing": round(1000 * cpu_s / max(alone.scored, 1), 3),
        }
    }
    for n in counts:
        results[n] = run("archive", n, model=model, source=str(folder / "crawl"), out=folder / f"out-{n}", db_url=None)
    return results


def bench_sqlite(folder: Path, count: int, counts: list[int], *, model: str) -> dict[str, Any]:
    """The stored path on SQLite: built once, copied for each run."""
    built = folder / "stored.db"
    results: dict[Any, Any] = {"build_s": build_database(f"sqlite:///{built}", count)}
    for n in counts:
        copy = folder / f"stored-{n}.db"
        shutil.copyfile(built, copy)
        results[n] = run("stored", n, model=model, source="", out=folder, db_url=f"sqlite:///{copy}")
        size = sum(path.stat().st_size for path in folder.glob(f"{copy.name}*"))  # with its write-ahead log
        results[n]["db_growth_bytes_per_listing"] = round((size - built.stat().st_size) / count)
    return results


def main() -> int:
    """Generate the data, run every configuration, write the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models")
    parser.add_argument("--out", default="reports/bench_rescore.json")
    parser.add_argument("--listings", type=int, default=200_000)
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated, fewest first")
    parser.add_argument("--pg-url", default=None, help="also the stored path on this (empty, wiped) PostgreSQL")
    parser.add_argument("--paths", default="archive,sqlite", help="which of archive, sqlite to run (comma-separated)")
    args = parser.parse_args()
    if real_listings_dir() is None:
        print(f"bench-rescore skipped: no ../shared/data/real-listings with {', '.join(REAL_FILES)} (SOI_SHARED_DIR)")
        return 0
    counts = [int(n) for n in args.workers.split(",")]
    report: dict[str, Any] = {
        "listings": args.listings,
        "machine": f"{platform.node()}, {os.cpu_count()} CPUs",
        "load_average_at_start": os.getloadavg(),
        "note": "the machine was shared with other work: CPU times are comparable, wall times disturbed",
    }
    with tempfile.TemporaryDirectory(prefix="soi-bench-rescore-") as tmp:
        folder = Path(tmp)
        if "archive" in args.paths:
            write_archive(folder / "crawl", args.listings, args.shards)
            report["archive"] = bench_archive(folder, counts, model=args.model)
        if "sqlite" in args.paths:
            report["sqlite"] = bench_sqlite(folder, args.listings, counts, model=args.model)
        if args.pg_url:
            report["postgresql"] = bench_postgresql(args.pg_url, args.listings, counts, model=args.model, out=folder)
    report["load_average_at_end"] = os.getloadavg()
    for path in ("archive", "sqlite", "postgresql"):
        if path in report and len(counts) >= 2:
            report[path]["scaling"] = scaling(report[path][counts[0]], report[path][counts[-1]])
    if len(counts) >= 2 and {"archive", "sqlite"} <= set(report):
        report["projection_10_nodes_500m"] = projection(report, counts[0], counts[-1])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
