"""The concurrent single-request phase of ``make bench-load`` (``scripts/bench_load.py``): 200 simulated crawlers,
each with one single-listing request in flight on its own raw keep-alive connection, stored and dry-run
alternately, with the CPU that the load generator, the server and a local PostgreSQL spend per request."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from process_cpu import postgres_cpu_s, processes_cpu_s
from raw_client import KeepAliveConnection, ResponseError, encode_post

from serving.storage.db import Database


def percentiles(latencies_s: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in milliseconds."""
    if not latencies_s:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(latencies_s)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": round(ordered[-1] * 1000, 1)}


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


def _new_phase() -> dict[str, Any]:
    return {"statuses": Counter(), "latencies": [], "seconds": 0.0, "client_cpu_s": 0.0, "server_cpu_s": 0.0,
            "database_cpu_s": None}  # fmt: skip


async def _one(client: KeepAliveConnection, data: bytes, phase: dict[str, Any], dry_run: bool) -> None:
    """One request on its crawler's connection: its status counted, its latency kept when it is answered 200."""
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


async def _round(clients: list, requests: list[bytes], phase: dict[str, Any], dry_run: bool, meters: CpuMeters) -> None:
    """Every crawler sends its next listing as soon as its last one is answered, until ``requests`` are all sent;
    the phase's time and CPU (client, server, database) grow by the round."""
    database_cpu, server_cpu = meters.database_s(), meters.server_s()
    cpu, started = time.process_time(), time.perf_counter()
    queue = iter(requests)

    async def crawler(client: KeepAliveConnection) -> None:
        for data in queue:
            await _one(client, data, phase, dry_run)

    await asyncio.gather(*(crawler(client) for client in clients))
    phase["seconds"] += time.perf_counter() - started
    phase["client_cpu_s"] += time.process_time() - cpu
    phase["server_cpu_s"] += meters.server_s() - server_cpu
    if database_cpu is not None:
        phase["database_cpu_s"] = (phase["database_cpu_s"] or 0.0) + meters.database_s() - database_cpu


async def concurrent_singles(
    base_url: str, key: str, listings: list[dict], *, concurrency: int, rounds: int, per_crawler: int, meters: CpuMeters
) -> dict[str, dict[str, Any]]:
    """``concurrency`` simulated crawlers, each on its own keep-alive connection (``raw_client``: the load
    generator's CPU stays a small part of the server's), each sending one listing at a time and the next as soon
    as it is answered: ``rounds`` rounds of ``concurrency × per_crawler`` requests. Stored and dry-run rounds
    alternate, so that whatever else runs on the machine weighs on both alike; a stored round sends listings not
    sent before (as long as there are enough), so that each is stored and linked as new.

    Every response's status is checked (and a stored one must name its listing in ``X-Soi-Listing-Id``);
    anything else counts as an error by status or exception name.
    """
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    headers = {"Authorization": f"Bearer {key}"}
    per_round = concurrency * per_crawler
    needed = listings[: per_round * rounds]
    requests = {
        dry_run: [
            encode_post("/v1/score" + ("?dry_run=true" if dry_run else ""), listing, host=url.netloc, headers=headers)
            for listing in needed
        ]
        for dry_run in (False, True)
    }
    clients = [KeepAliveConnection(host, port) for _ in range(concurrency)]
    phases = {dry_run: _new_phase() for dry_run in (False, True)}
    source = itertools.cycle(range(len(needed)))
    for _ in range(rounds):
        indexes = [next(source) for _ in range(per_round)]
        for dry_run in (False, True):
            await _round(clients, [requests[dry_run][i] for i in indexes], phases[dry_run], dry_run, meters)
    for client in clients:
        client.close()
    return {
        "concurrent_singles" if not dry_run else "concurrent_singles_dry_run": singles_figures(
            phase, dry_run=dry_run, concurrency=concurrency, rounds=rounds, per_crawler=per_crawler
        )
        for dry_run, phase in phases.items()
    }


def singles_figures(
    phase: dict[str, Any], *, dry_run: bool, concurrency: int, rounds: int, per_crawler: int
) -> dict[str, Any]:
    """One singles phase's report: throughput, latency, errors, and CPU per request of client and server."""
    statuses, seconds = phase["statuses"], phase["seconds"]
    requests = sum(statuses.values())
    answered = len(phase["latencies"])
    return {
        "dry_run": dry_run,
        "concurrency": concurrency,
        "rounds": rounds,
        "requests_per_crawler_per_round": per_crawler,
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
