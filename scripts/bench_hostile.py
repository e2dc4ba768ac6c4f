"""``make bench-hostile``: how hostile input costs the service, against issue 12's targets. Bounded, loopback only.

1. Reading (in this process, the served model, every label explained): each hostile family of
   ``training.hostile`` at 8,000 characters, in CPU milliseconds per 1,000 characters (the slowest is the cost
   model behind ``SOI_MAX_READ_MS``); the slowest single listing within the limits (every read field at its
   maximum); the slowest legal batch (as many such listings as the batch and body limits allow).
2. The server (``python -m serving run``, SQLite, one worker): ``/healthz``, ``/readyz`` and ``/metrics`` latency
   while clients score the slowest legal batch in a loop; then its memory (RSS) after start-up and warm-up, and
   after 1,000 hostile requests.

    python scripts/bench_hostile.py --model models --out reports/bench_hostile.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_process import REPO, ServerProcess, make_keys, start_server

sys.path.insert(0, str(REPO))
from model.predictor import Predictor
from model.schema import Listing
from serving.settings import get_settings
from training.hostile import (
    FAMILIES,
    explaining_everything,
    hostile_listing,
    hostile_text,
    reading_cpu_ms,
    unique_words,
)

TARGET_LISTING_MS, TARGET_BATCH_S, TARGET_HEALTHZ_P99_MS, TARGET_MEMORY_RATIO = 20.0, 2.0, 100.0, 1.5


def legal_listings(family: str, *, max_listings: int, max_body_bytes: int) -> list[dict[str, Any]]:
    """As many of the family's costliest listings as one batch request may hold (count and body size)."""
    one = hostile_listing(family)
    size = len(json.dumps(one, ensure_ascii=False).encode()) + 2
    count = max(1, min(max_listings, (max_body_bytes - 100) // size))
    return [hostile_listing(family, index) for index in range(count)]


def reading_report(model: str) -> dict[str, Any]:
    """Per-kilobyte cost of every family, the slowest single listing and the slowest legal batch (CPU ms)."""
    settings = get_settings()
    served = Predictor.load(model)
    unbudgeted = explaining_everything(served)
    budgeted = explaining_everything(Predictor.load(model))
    budgeted.max_read_ms = settings.max_read_ms
    budgeted.warm_up()
    per_kb = {
        family: round(reading_cpu_ms(unbudgeted, [Listing.model_construct(title=hostile_text(family, 8_000))]) / 8, 3)
        for family in FAMILIES
    }
    listing_ms: dict[str, float] = {}
    for family in FAMILIES:
        try:
            listing = Listing.model_validate(hostile_listing(family))
        except ValueError:  # e.g. a title of whitespace only: refused before it is read
            continue
        listing_ms[family] = round(reading_cpu_ms(budgeted, [listing]), 2)
    slowest = sorted(listing_ms, key=listing_ms.__getitem__, reverse=True)[:3]
    batches = {}
    for family in slowest:
        raws = legal_listings(family, max_listings=settings.max_batch_listings, max_body_bytes=settings.max_body_bytes)
        listings = [Listing.model_validate(raw) for raw in raws]
        started = time.perf_counter()
        cpu_ms = reading_cpu_ms(budgeted, listings, repeats=2)
        batches[family] = {"listings": len(listings), "cpu_s": round(cpu_ms / 1000, 3),
                           "wall_s_incl_repeat": round(time.perf_counter() - started, 3)}  # fmt: skip
    worst_family = max(per_kb, key=per_kb.__getitem__)
    worst_batch = max(batches, key=lambda family: batches[family]["cpu_s"])
    return {
        "ms_per_kb_by_family": dict(sorted(per_kb.items(), key=lambda item: -item[1])),
        "slowest_input_per_kb": {"family": worst_family, "ms_per_kb": per_kb[worst_family]},
        "listing_ms_by_family": dict(sorted(listing_ms.items(), key=lambda item: -item[1])),
        "slowest_listing": {"family": slowest[0], "cpu_ms": listing_ms[slowest[0]], "target_ms": TARGET_LISTING_MS},
        "slowest_batches": batches,
        "slowest_batch": {"family": worst_batch, **batches[worst_batch], "target_s": TARGET_BATCH_S},
    }


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")


def percentiles_ms(latencies_s: list[float]) -> dict[str, float | int]:
    ordered = sorted(latencies_s) or [0.0]

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"count": len(latencies_s), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": round(ordered[-1] * 1000, 1)}


def operations_under_load(server: ServerProcess, key: str, family: str, *, seconds: float, clients: int) -> dict:
    """Latency of the operations routes while ``clients`` threads score the family's slowest legal batch."""
    settings = get_settings()
    body = json.dumps(
        {"listings": legal_listings(family, max_listings=settings.max_batch_listings,
                                    max_body_bytes=settings.max_body_bytes)}, ensure_ascii=False
    ).encode()  # fmt: skip
    stop = threading.Event()
    batch_s: list[float] = []
    statuses: dict[str, int] = {}

    def score() -> None:
        headers = {"Authorization": f"Bearer {key}", "content-type": "application/json"}
        with httpx.Client(base_url=server.base_url, timeout=120) as client:
            while not stop.is_set():
                started = time.perf_counter()
                status = client.post("/v1/score/batch?dry_run=true", content=body, headers=headers).status_code
                batch_s.append(time.perf_counter() - started)
                statuses[str(status)] = statuses.get(str(status), 0) + 1

    threads = [threading.Thread(target=score, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # the scoring is under way
    latencies: dict[str, list[float]] = {"/healthz": [], "/readyz": [], "/metrics": []}
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        deadline = time.monotonic() + seconds
        tick = 0
        while time.monotonic() < deadline:
            for route in ("/healthz",) if tick % 5 else tuple(latencies):
                started = time.perf_counter()
                client.get(route)
                latencies[route].append(time.perf_counter() - started)
            tick += 1
            time.sleep(0.02)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return {
        "family": family,
        "batch_listings": json.loads(body)["listings"].__len__(),
        "batch_body_bytes": len(body),
        "scoring_clients": clients,
        "batches": {"statuses": statuses, **percentiles_ms(batch_s)},
        **{route: percentiles_ms(values) for route, values in latencies.items()},
        "target_healthz_p99_ms": TARGET_HEALTHZ_P99_MS,
    }


def hostile_requests(count: int, *, stored_description_chars: int = 60_000) -> list[tuple[str, str, bytes]]:
    """``count`` hostile requests (method, path, body): every family in every field, words that never repeat
    (cache pollution; a fifth stored, with descriptions of ``stored_description_chars``), invalid and oversized
    bodies, invented methods and paths (metric labels)."""
    families = sorted(FAMILIES)
    requests = []
    for index in range(count):
        family = families[index % len(families)]
        kind = index % 5
        if kind == 0:
            listing = hostile_listing(family, index)
            listing["title"] = unique_words(1_000, length=3 + index % 22, seed=index)
            requests.append(("POST", "/v1/score?dry_run=true", json.dumps(listing).encode()))
        elif kind == 1:
            listing = hostile_listing(family, index)
            listing["description"] = unique_words(stored_description_chars, length=5 + index % 40, seed=index)
            requests.append(("POST", "/v1/score", json.dumps(listing).encode()))
        elif kind == 2:
            deep: Any = "x"
            for _ in range(200):
                deep = [deep]
            requests.append(("POST", "/v1/score", json.dumps({"title": "x", "extra": deep}).encode()))
        elif kind == 3:
            requests.append(
                ("POST", "/v1/score", b'{"title": "' + b"\xff" * 1000 + b'", "brand": ' + b"9" * 400 + b"}")
            )
        else:
            requests.append((f"X{index}", f"/no/such/{index}/{'z' * 200}", b""))
    return requests


def memory_after_hostile_requests(
    server: ServerProcess, key: str, *, count: int, stored_description_chars: int = 60_000
) -> dict[str, Any]:
    """RSS after start-up and warm-up, then after ``count`` hostile requests; and the worst status seen."""
    headers = {"Authorization": f"Bearer {key}", "content-type": "application/json"}
    pid = server.process.pid
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        for family in sorted(FAMILIES):  # warm-up: every code path once, so later growth is not first use
            client.post("/v1/score?dry_run=true", content=json.dumps(hostile_listing(family)).encode(), headers=headers)
        after_warm_up = rss_mb(pid)
        statuses: dict[str, int] = {}
        for method, path, body in hostile_requests(count, stored_description_chars=stored_description_chars):
            status = client.request(method, path, content=body, headers=headers).status_code
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        after = rss_mb(pid)
    return {
        "requests": count,
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(n for status, n in statuses.items() if status.startswith("5")),
        "rss_after_warm_up_mb": after_warm_up,
        "rss_after_hostile_mb": after,
        "ratio": round(after / after_warm_up, 3),
        "target_ratio": TARGET_MEMORY_RATIO,
    }


def main(argv: list[str] | None = None) -> int:
    """Run every part; write the report; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models")
    parser.add_argument("--out", default="reports/bench_hostile.json")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the operations routes are polled")
    parser.add_argument("--clients", type=int, default=2, help="threads scoring the slowest batch meanwhile")
    parser.add_argument("--requests", type=int, default=1_000, help="hostile requests for the memory part")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"machine": f"{platform.node()}, {os.cpu_count()} CPUs", "load_before": os.getloadavg()}
    report["reading"] = reading_report(args.model)
    family = report["reading"]["slowest_batch"]["family"]
    with tempfile.TemporaryDirectory(prefix="soi-hostile-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'soi.db'}"
        keys = make_keys(database_url, ("crawler",))
        server = start_server(model=args.model, database_url=database_url, workers=1, log_path=Path(folder) / "log")
        try:
            report["memory"] = memory_after_hostile_requests(server, keys["crawler"], count=args.requests)
            report["under_load"] = operations_under_load(
                server, keys["crawler"], family, seconds=args.seconds, clients=args.clients
            )
        finally:
            server.stop()
    report["load_after"] = os.getloadavg()
    reading, load, memory = report["reading"], report["under_load"], report["memory"]
    report["targets_met"] = {
        "slowest_listing": reading["slowest_listing"]["cpu_ms"] <= TARGET_LISTING_MS,
        "slowest_batch": reading["slowest_batch"]["cpu_s"] <= TARGET_BATCH_S,
        "healthz_p99": load["/healthz"]["p99_ms"] <= TARGET_HEALTHZ_P99_MS,
        "readyz_and_metrics_p99": max(load["/readyz"]["p99_ms"], load["/metrics"]["p99_ms"]) <= TARGET_HEALTHZ_P99_MS,
        "memory": memory["ratio"] <= TARGET_MEMORY_RATIO and memory["server_errors"] == 0,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({key: report[key] for key in ("targets_met",)}, indent=2))
    print(f"slowest per KB: {reading['slowest_input_per_kb']}; listing: {reading['slowest_listing']}")
    print(f"batch: {reading['slowest_batch']}; /healthz: {load['/healthz']}; memory: {memory}")
    print(f"wrote {out}")
    return 0 if all(report["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
