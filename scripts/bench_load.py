"""Load test of the API from a second process on loopback: sustained batch scoring (dry run, then stored) and
200 concurrent crawlers sending single listings (each one request in flight; stored and dry run, alternating
rounds), on SQLite and on PostgreSQL
(the database at --pg-url, which it wipes, else a throwaway local cluster when PostgreSQL is installed). Bounded in
time and count; writes a JSON report with the CPU per single request of the load client and of the server.

    python scripts/bench_load.py --model models --out reports/bench_load.json   (make bench-load [PG_URL=...])
    python scripts/bench_load.py --phases singles --backends sqlite --rounds 1   (a short singles-only run)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
# this checkout's packages, before process_cpu imports serving (not the copy an editable install points at)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import pg_cluster
from bench_singles import CpuMeters, concurrent_singles, percentiles
from process_cpu import process_tree
from serve_process import crawler_listings, free_port, make_keys, start_server, wipe_postgresql

from serving.settings import get_settings
from serving.storage.db import Database


async def sustained_batches(
    client: httpx.AsyncClient, listings: list[dict], *, batch: int, concurrency: int, seconds: float, dry_run: bool
) -> dict[str, Any]:
    """``concurrency`` clients each sending batches back to back for ``seconds``."""
    batches = [listings[i : i + batch] for i in range(0, len(listings) - batch + 1, batch)]
    next_batch = itertools.cycle(range(len(batches)))
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    scored = 0
    deadline = time.perf_counter() + seconds
    url = "/v1/score/batch" + ("?dry_run=true" if dry_run else "")

    async def worker() -> None:
        nonlocal scored
        while time.perf_counter() < deadline:
            body = {"listings": batches[next(next_batch)]}
            started = time.perf_counter()
            try:
                response = await client.post(url, json=body)
                statuses[str(response.status_code)] += 1
                if response.status_code == 200:
                    scored += len(body["listings"])
                    latencies.append(time.perf_counter() - started)
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    errors = sum(n for status, n in statuses.items() if status != "200")
    return {
        "dry_run": dry_run,
        "batch_size": batch,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "requests": sum(statuses.values()),
        "listings_scored": scored,
        "listings_per_s": round(scored / elapsed, 1),
        "errors": errors,
        "statuses": dict(statuses),
        "latency": percentiles(latencies),
        "distinct_listings_available": len(batches) * batch,
        "_latencies": latencies,
    }


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One phase's figures from its slices."""
    latencies = [x for part in parts for x in part["_latencies"]]
    seconds = sum(part["seconds"] for part in parts)
    scored = sum(part["listings_scored"] for part in parts)
    statuses: Counter[str] = Counter()
    for part in parts:
        statuses.update(part["statuses"])
    return {
        "dry_run": parts[0]["dry_run"],
        "batch_size": parts[0]["batch_size"],
        "concurrency": parts[0]["concurrency"],
        "slices": len(parts),
        "seconds": round(seconds, 2),
        "requests": sum(statuses.values()),
        "listings_scored": scored,
        "listings_per_s": round(scored / seconds, 1) if seconds else 0.0,
        "errors": sum(n for status, n in statuses.items() if status != "200"),
        "statuses": dict(statuses),
        "latency": percentiles(latencies),
        "distinct_listings": sum(part["distinct_listings_available"] for part in parts),
    }


async def batch_phases(args: argparse.Namespace, base_url: str, key: str, listings: list[dict]) -> dict[str, Any]:
    """Sustained batch scoring, dry run and stored, through httpx."""
    limits = httpx.Limits(max_connections=args.concurrency + 10, max_keepalive_connections=args.concurrency + 10)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120, limits=limits) as client:
        # warm-up (connections, first-call costs), not counted
        await sustained_batches(client, listings[-640:], batch=args.batch, concurrency=2, seconds=2, dry_run=True)
        # dry-run and stored phases alternate in short slices, so that whatever else runs on the machine
        # weighs on both alike and their difference is the cost of storage
        slices = max(1, round(args.seconds / args.slice_seconds))
        parts: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
        for index in range(slices):
            chunk = listings[index * len(listings) // slices : (index + 1) * len(listings) // slices]
            for dry_run in (True, False):
                parts[dry_run].append(
                    await sustained_batches(
                        client,
                        chunk,
                        batch=args.batch,
                        concurrency=args.concurrency,
                        seconds=args.seconds / slices,
                        dry_run=dry_run,
                    )
                )
    dry, stored = merge(parts[True]), merge(parts[False])
    return {
        "batch_dry_run": dry,
        "batch_stored": stored,
        "storage_overhead_pct": (
            round(100 * (1 - stored["listings_per_s"] / dry["listings_per_s"]), 1) if dry["listings_per_s"] else None
        ),
    }


async def run(
    args: argparse.Namespace,
    base_url: str,
    key: str,
    listings: list[dict],
    server_pid: int,
    database: Database | None,
) -> dict[str, Any]:
    """The phases asked for against a running server: batches on the first half of the listings, singles on the
    second."""
    half = len(listings) // 2
    results: dict[str, Any] = {}
    if "batches" in args.phases:
        results |= await batch_phases(args, base_url, key, listings[:half])
    if "singles" in args.phases:
        singles = listings[half:]
        # the server and its workers (started by now), and a local PostgreSQL's processes
        meters = CpuMeters(process_tree(server_pid), database)
        # warm-up (connections, each worker's first requests), not counted
        await concurrent_singles(
            base_url, key, singles[-args.singles :], concurrency=args.singles, rounds=1, per_crawler=1, meters=meters
        )
        rounds = {"rounds": args.rounds, "per_crawler": args.per_crawler}
        results |= await concurrent_singles(base_url, key, singles, concurrency=args.singles, **rounds, meters=meters)
    return results


def bench_backend(args: argparse.Namespace, database_url: str, listings: list[dict], tmp: Path) -> dict[str, Any]:
    """Start the API on an empty database, load it, stop it."""
    key = make_keys(database_url, ("crawler",))["crawler"]
    server = start_server(
        model=args.model, database_url=database_url, workers=args.workers, log_path=tmp / "server.log"
    )
    # PostgreSQL's CPU is read from /proc when it runs here (SQLite's is the workers' own)
    database = Database(get_settings(database_url=database_url)) if database_url.startswith("postgresql") else None
    try:
        return asyncio.run(run(args, server.base_url, key, listings, server.process.pid, database))
    finally:
        server.stop()
        if database is not None:
            database.dispose()


def bench_postgresql(args: argparse.Namespace, listings: list[dict], tmp: Path) -> dict[str, Any]:
    """The load test on the database at --pg-url (wiped), else on a throwaway local cluster."""
    if args.pg_url:
        database = Database(get_settings(database_url=args.pg_url))
        wipe_postgresql(database)
        database.dispose()
        return {"database": "given (--pg-url)", **bench_backend(args, args.pg_url, listings, tmp)}
    bin_dir = pg_cluster.find_bin_dir()
    if bin_dir is None:
        return {"skipped": "no PostgreSQL: pass --pg-url (PG_URL=) or install initdb and pg_ctl"}
    tmp.chmod(0o755)  # the cluster runs as the postgres user when this runs as root
    data_dir = tmp / "pg"
    url = pg_cluster.start(data_dir, free_port(), bin_dir)
    try:
        return {"database": "throwaway local cluster", **bench_backend(args, url, listings, tmp)}
    finally:
        pg_cluster.stop(data_dir, bin_dir, immediate=True)


PHASES = ("batch_dry_run", "batch_stored", "concurrent_singles", "concurrent_singles_dry_run")


def summary(backend: str, results: dict[str, Any], args: argparse.Namespace) -> str:
    """One line per backend for the console."""
    if "skipped" in results:
        return f"{backend}: skipped ({results['skipped']})"
    parts = []
    if "batch_stored" in results:
        stored, dry = results["batch_stored"], results["batch_dry_run"]
        parts.append(
            f"batches of {args.batch} stored {stored['listings_per_s']} listings/s (dry run "
            f"{dry['listings_per_s']}), p95 {stored['latency']['p95_ms']} ms, errors {stored['errors']}"
        )
    for phase, name in (("concurrent_singles", "stored"), ("concurrent_singles_dry_run", "dry run")):
        if phase in results:
            singles, latency = results[phase], results[phase]["latency"]
            parts.append(
                f"{args.singles} concurrent crawlers x{args.rounds * args.per_crawler} singles {name}: "
                f"{singles['listings_per_s']} listings/s, "
                f"p50/p95/p99 {latency['p50_ms']}/{latency['p95_ms']}/{latency['p99_ms']} ms, "
                f"errors {singles['errors']}, CPU ms/request client {singles['client_cpu_ms_per_request']} "
                f"server {singles['server_cpu_ms_per_request']} database {singles['database_cpu_ms_per_request']}"
            )
    return f"{backend}: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Run the load test on each backend, write the report; non-zero on any error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models")
    parser.add_argument("--out", default="reports/bench_load.json")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=4, help="batch requests in flight")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each sustained phase")
    parser.add_argument("--slice-seconds", type=float, default=5.0, help="dry-run and stored alternate this often")
    parser.add_argument("--singles", type=int, default=200, help="simultaneous single-listing requests")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the singles phase (stored and dry run)")
    parser.add_argument(
        "--per-crawler", type=int, default=25, help="requests each simulated crawler sends per round, one at a time"
    )
    parser.add_argument("--listings", type=int, default=20_000, help="most listings read from the data file")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-url", default=None, help="an empty PostgreSQL database this benchmark may wipe")
    parser.add_argument("--phases", default="batches,singles", help="comma-separated: batches, singles")
    args = parser.parse_args(argv)
    args.phases = set(args.phases.split(","))
    if not args.phases <= {"batches", "singles"}:
        parser.error(f"unknown phases in {sorted(args.phases)}")

    listings, source = crawler_listings(args.listings)
    load_before = [round(x, 2) for x in os.getloadavg()]
    backends: dict[str, Any] = {}
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="soi-bench-") as folder:
            tmp = Path(folder)
            if backend == "sqlite":
                backends[backend] = bench_backend(args, f"sqlite:///{tmp / 'soi.db'}", listings, tmp)
            elif backend == "postgresql":
                backends[backend] = bench_postgresql(args, listings, tmp)
            else:
                parser.error(f"unknown backend {backend!r}")
    report = {
        "what": "load test from a second process on loopback against `python -m serving run`",
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "note": "the load generator (one Python process: httpx for batches, raw_client for singles) shares the "
            "machine's cores with the server",
        },
        "server": {"workers": args.workers},
        "data": {"source": source, "listings": len(listings)},
        **backends,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for backend, results in backends.items():
        print(summary(backend, results, args))
    print(f"-> {out}")
    failed = [
        phase for results in backends.values() for phase in PHASES if phase in results and results[phase]["errors"]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
