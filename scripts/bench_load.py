"""Load test of the API from a second process on loopback: sustained batch scoring (dry run, then stored) and
bursts of 200 concurrent single-listing requests (stored and dry run, alternating), on SQLite and on PostgreSQL
(the database at --pg-url, which it wipes, else a throwaway local cluster when PostgreSQL is installed). Bounded in
time and count; writes a JSON report with the CPU per single request of the load client and of the server.

    python scripts/bench_load.py --model models --out reports/bench_load.json   (make bench-load [PG_URL=...])
    python scripts/bench_load.py --phases singles --backends sqlite --rounds 3   (a short singles-only run)
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
# this checkout's packages, before process_cpu imports serving (not the copy an editable install points at)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import pg_cluster
from process_cpu import postgres_cpu_s, process_tree, processes_cpu_s
from raw_client import KeepAliveConnection, ResponseError, encode_post
from serve_process import REPO, free_port, make_keys, start_server, wipe_postgresql

from serving.settings import get_settings
from serving.storage.db import Database
from training.dataset import SEED_LISTINGS, seed_listings

REAL = (
    Path(os.environ.get("SOI_SHARED_DIR") or REPO.parent / "shared") / "data" / "real-listings" / "tiki_fashion.jsonl"
)
CONTRACT_FIELDS = ("id", "platform", "url", "title", "description", "price", "category", "brand", "seller",
                   "ships_from", "sold_count", "image_count")  # fmt: skip


def load_listings(limit: int) -> tuple[list[dict[str, Any]], str]:
    """Listings as a crawler sends them (contract fields only, no labels): real ones if available, else seed."""
    path = REAL if REAL.is_file() else seed_listings()
    listings = []
    with path.open(encoding="utf-8") as handle:
        for line in itertools.islice(handle, limit):
            raw = json.loads(line)
            listings.append({key: raw[key] for key in CONTRACT_FIELDS if key in raw})
    return listings, str(
        path.relative_to(REPO) if path == SEED_LISTINGS else f"../shared/data/real-listings/{path.name}"
    )


def percentiles(latencies_s: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in milliseconds."""
    if not latencies_s:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(latencies_s)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": round(ordered[-1] * 1000, 1)}


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


@dataclass(frozen=True)
class CpuMeters:
    """CPU seconds used so far by the server's processes and, for a local PostgreSQL, by the database's."""

    server_pids: list[int]
    database: Database | None = None

    def server_s(self) -> float:
        """The API's processes (the server and its workers)."""
        return processes_cpu_s(self.server_pids)

    def database_s(self) -> float | None:
        """A local PostgreSQL server's processes; None for SQLite (inside the workers) or a remote server."""
        return postgres_cpu_s(self.database) if self.database is not None else None


async def concurrent_singles(
    base_url: str, key: str, listings: list[dict], *, concurrency: int, rounds: int, meters: CpuMeters
) -> dict[str, dict[str, Any]]:
    """``rounds`` bursts of ``concurrency`` simultaneous single-listing requests, each simulated crawler on its own
    keep-alive connection (``raw_client``: the load generator's CPU stays a small part of the server's). Stored
    and dry-run bursts alternate, so that whatever else runs on the machine weighs on both alike.

    Every response's status is checked (and a stored one must name its listing in ``X-Soi-Listing-Id``);
    anything else counts as an error by status or exception name.
    """
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    headers = {"Authorization": f"Bearer {key}"}
    needed = listings[: concurrency * rounds]
    requests = {
        dry_run: [
            encode_post("/v1/score" + ("?dry_run=true" if dry_run else ""), listing, host=url.netloc, headers=headers)
            for listing in needed
        ]
        for dry_run in (False, True)
    }
    clients = [KeepAliveConnection(host, port) for _ in range(concurrency)]
    phases = {
        dry_run: {
            "statuses": Counter(),
            "latencies": [],
            "seconds": 0.0,
            "client_cpu_s": 0.0,
            "server_cpu_s": 0.0,
            "database_cpu_s": None,
        }
        for dry_run in (False, True)
    }

    async def one(client: KeepAliveConnection, data: bytes, phase: dict[str, Any], dry_run: bool) -> None:
        started = time.perf_counter()
        try:
            response = await client.request(data)
        except (OSError, EOFError, asyncio.LimitOverrunError, ResponseError) as exc:
            phase["statuses"][type(exc).__name__] += 1
            return
        if response.status == 200 and not dry_run and not response.has_header(b"x-soi-listing-id"):
            phase["statuses"]["200 without X-Soi-Listing-Id"] += 1
            return
        phase["statuses"][str(response.status)] += 1
        if response.status == 200:
            phase["latencies"].append(time.perf_counter() - started)

    source = itertools.cycle(range(len(needed)))
    for _ in range(rounds):
        indexes = [next(source) for _ in range(concurrency)]
        for dry_run in (False, True):
            phase = phases[dry_run]
            database_cpu, server_cpu = meters.database_s(), meters.server_s()
            cpu, started = time.process_time(), time.perf_counter()
            await asyncio.gather(
                *(one(client, requests[dry_run][i], phase, dry_run) for client, i in zip(clients, indexes, strict=True))
            )
            phase["seconds"] += time.perf_counter() - started
            phase["client_cpu_s"] += time.process_time() - cpu
            phase["server_cpu_s"] += meters.server_s() - server_cpu
            if database_cpu is not None:
                phase["database_cpu_s"] = (phase["database_cpu_s"] or 0.0) + meters.database_s() - database_cpu
    for client in clients:
        client.close()
    return {
        "concurrent_singles" if not dry_run else "concurrent_singles_dry_run": singles_figures(
            phase, dry_run=dry_run, concurrency=concurrency, rounds=rounds
        )
        for dry_run, phase in phases.items()
    }


def singles_figures(phase: dict[str, Any], *, dry_run: bool, concurrency: int, rounds: int) -> dict[str, Any]:
    """One singles phase's report: throughput, latency, errors, and CPU per request of client and server."""
    statuses, seconds = phase["statuses"], phase["seconds"]
    requests = sum(statuses.values())
    answered = len(phase["latencies"])
    return {
        "dry_run": dry_run,
        "concurrency": concurrency,
        "rounds": rounds,
        "requests": requests,
        "seconds": round(seconds, 2),
        "requests_per_s": round(requests / seconds, 1) if seconds else 0.0,
        "listings_per_s": round(answered / seconds, 1) if seconds else 0.0,  # one listing per request answered 200
        "errors": requests - answered,
        "statuses": dict(statuses),
        "latency": percentiles(phase["latencies"]),
        # CPU seconds per request (ms), of the load generator and of the server's processes; the server's is
        # read from /proc in ticks (10 ms), summed over the bursts
        "client_cpu_ms_per_request": round(1000 * phase["client_cpu_s"] / requests, 3) if requests else None,
        "server_cpu_ms_per_request": round(1000 * phase["server_cpu_s"] / requests, 3) if requests else None,
        # a local PostgreSQL's own processes (SQLite works inside the server's); None where not measured
        "database_cpu_ms_per_request": (
            round(1000 * phase["database_cpu_s"] / requests, 3)
            if requests and phase["database_cpu_s"] is not None
            else None
        ),
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
            base_url, key, singles[-args.singles :], concurrency=args.singles, rounds=1, meters=meters
        )
        results |= await concurrent_singles(
            base_url, key, singles, concurrency=args.singles, rounds=args.rounds, meters=meters
        )
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
                f"{args.singles} concurrent singles x{args.rounds} {name}: {singles['listings_per_s']} listings/s, "
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
    parser.add_argument("--rounds", type=int, default=10, help="bursts of --singles requests")
    parser.add_argument("--listings", type=int, default=20_000, help="most listings read from the data file")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-url", default=None, help="an empty PostgreSQL database this benchmark may wipe")
    parser.add_argument("--phases", default="batches,singles", help="comma-separated: batches, singles")
    args = parser.parse_args(argv)
    args.phases = set(args.phases.split(","))
    if not args.phases <= {"batches", "singles"}:
        parser.error(f"unknown phases in {sorted(args.phases)}")

    listings, source = load_listings(args.listings)
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
