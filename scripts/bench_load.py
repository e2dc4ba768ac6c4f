"""Load test of the API from a second process on loopback: sustained batch scoring (dry run, then stored on
SQLite) and bursts of 200 concurrent single-listing requests. Bounded in time and count; writes a JSON report.

    python scripts/bench_load.py --model models --out reports/bench_load.json   (make bench-load)
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
from serve_process import REPO, make_keys, start_server

REAL = (
    Path(os.environ.get("SOI_SHARED_DIR") or REPO.parent / "shared") / "data" / "real-listings" / "tiki_fashion.jsonl"
)
SEED = REPO / "data" / "seed" / "listings.jsonl"
CONTRACT_FIELDS = ("id", "platform", "url", "title", "description", "price", "category", "brand", "seller",
                   "ships_from", "sold_count", "image_count")  # fmt: skip


def load_listings(limit: int) -> tuple[list[dict[str, Any]], str]:
    """Listings as a crawler sends them (contract fields only, no labels): real ones if available, else seed."""
    path = REAL if REAL.is_file() else SEED
    listings = []
    with path.open(encoding="utf-8") as handle:
        for line in itertools.islice(handle, limit):
            raw = json.loads(line)
            listings.append({key: raw[key] for key in CONTRACT_FIELDS if key in raw})
    return listings, str(path.relative_to(REPO) if path == SEED else f"../shared/data/real-listings/{path.name}")


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


async def concurrent_singles(
    client: httpx.AsyncClient, listings: list[dict], *, concurrency: int, rounds: int
) -> dict[str, Any]:
    """``rounds`` bursts of ``concurrency`` simultaneous single-listing requests."""
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    source = itertools.cycle(listings)

    async def one(listing: dict) -> None:
        started = time.perf_counter()
        try:
            response = await client.post("/v1/score", json=listing)
            statuses[str(response.status_code)] += 1
            if response.status_code == 200:
                latencies.append(time.perf_counter() - started)
        except httpx.HTTPError as exc:
            statuses[type(exc).__name__] += 1

    started = time.perf_counter()
    for _ in range(rounds):
        await asyncio.gather(*(one(next(source)) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "rounds": rounds,
        "requests": sum(statuses.values()),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(sum(statuses.values()) / elapsed, 1),
        "errors": sum(n for status, n in statuses.items() if status != "200"),
        "statuses": dict(statuses),
        "latency": percentiles(latencies),
    }


async def run(args: argparse.Namespace, base_url: str, key: str, listings: list[dict]) -> dict[str, Any]:
    """The three phases against a running server."""
    limits = httpx.Limits(max_connections=args.singles + 10, max_keepalive_connections=args.singles + 10)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120, limits=limits) as client:
        # warm-up (connections, first-call costs), not counted
        await sustained_batches(client, listings[-640:], batch=args.batch, concurrency=2, seconds=2, dry_run=True)
        half = len(listings) // 2
        # dry-run and stored phases alternate in short slices, so that whatever else runs on the machine
        # weighs on both alike and their difference is the cost of storage
        slices = max(1, round(args.seconds / args.slice_seconds))
        parts: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
        for index in range(slices):
            chunk = listings[:half][
                index * len(listings[:half]) // slices : (index + 1) * len(listings[:half]) // slices
            ]
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
        singles = await concurrent_singles(client, listings[half:], concurrency=args.singles, rounds=args.rounds)
    return {"batch_dry_run": dry, "batch_stored": stored, "concurrent_singles": singles}


def main(argv: list[str] | None = None) -> int:
    """Start the API on a fresh SQLite database, load it, write the report; non-zero on any error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models")
    parser.add_argument("--out", default="reports/bench_load.json")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=4, help="batch requests in flight")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each sustained phase")
    parser.add_argument("--slice-seconds", type=float, default=5.0, help="dry-run and stored alternate this often")
    parser.add_argument("--singles", type=int, default=200, help="simultaneous single-listing requests")
    parser.add_argument("--rounds", type=int, default=3, help="bursts of --singles requests")
    parser.add_argument("--listings", type=int, default=20_000, help="most listings read from the data file")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    args = parser.parse_args(argv)

    listings, source = load_listings(args.listings)
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="soi-bench-") as tmp:
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'soi.db'}"
        key = make_keys(database_url, ("crawler",))["crawler"]
        server = start_server(
            model=args.model, database_url=database_url, workers=args.workers, log_path=Path(tmp) / "server.log"
        )
        try:
            results = asyncio.run(run(args, server.base_url, key, listings))
        finally:
            server.stop()
    report = {
        "what": "load test from a second process on loopback against `python -m serving run`",
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "note": "the load generator shares the machine's cores with the server",
        },
        "server": {
            "workers": args.workers,
            "database": database_url.split(":", 1)[0] if not args.database_url else "given",
        },
        "data": {"source": source, "listings": len(listings)},
        **results,
    }
    stored, dry = results["batch_stored"], results["batch_dry_run"]
    report["storage_overhead_pct"] = (
        round(100 * (1 - stored["listings_per_s"] / dry["listings_per_s"]), 1) if dry["listings_per_s"] else None
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    singles = results["concurrent_singles"]
    print(
        f"batch scoring, stored on SQLite: {stored['listings_per_s']} listings/s (dry run {dry['listings_per_s']}), "
        f"p95 {stored['latency']['p95_ms']} ms per batch of {args.batch}, errors {stored['errors']}; "
        f"{args.singles} concurrent singles x{args.rounds}: errors {singles['errors']}, "
        f"p95 {singles['latency']['p95_ms']} ms -> {out}"
    )
    return 1 if stored["errors"] or dry["errors"] or singles["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
