"""Fault test: kill PostgreSQL under load, restart it, and check the API's behaviour.

Starts a throwaway PostgreSQL cluster on loopback and the API on it, runs reviewers and a crawler against it,
stops PostgreSQL with ``pg_ctl -m immediate`` (a crash), restarts it, and checks that

- while it is down every answer is 503 with ``Retry-After`` (never a 500), and ``/readyz`` says 503;
- the API recovers by itself (no restart), and how long that takes;
- every review that got a 2xx is in the database afterwards, with its labels.

    python scripts/bench_fault.py --model models --out reports/bench_fault.json   (make bench-fault)

Exits 3 (and says why) when the PostgreSQL server binaries are not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pg_cluster
from serve_process import crawler_listings, make_keys, start_server
from sqlalchemy import select

from serving.settings import get_settings
from serving.storage.db import Database
from serving.storage.models import ReviewRow

LABEL_CHOICES = [[], ["counterfeit"], ["smuggled"], ["prohibited"], ["counterfeit", "smuggled"]]


class Recorder:
    """Every answer, by phase ('before', 'down', 'after'), with the acknowledged reviews."""

    def __init__(self) -> None:
        self.phase = "before"
        self.statuses: dict[str, Counter[str]] = {p: Counter() for p in ("before", "down", "after")}
        self.missing_retry_after = 0
        self.acknowledged: dict[int, list[str]] = {}
        self.first_ok_after_restart: float | None = None
        self.restarted_at: float | None = None

    def record(self, response: httpx.Response | None, error: str | None = None) -> None:
        status = str(response.status_code) if response is not None else (error or "error")
        self.statuses[self.phase][status] += 1
        if response is not None and response.status_code == 503 and "retry-after" not in response.headers:
            self.missing_retry_after += 1
        if (
            response is not None
            and response.status_code < 300
            and self.phase == "after"
            and self.first_ok_after_restart is None
            and self.restarted_at is not None
        ):
            self.first_ok_after_restart = time.monotonic() - self.restarted_at


async def reviewer(client: httpx.AsyncClient, listing_ids: list[int], recorder: Recorder, stop: asyncio.Event) -> None:
    """Post reviews back to back; remember each acknowledged one."""
    rng = random.Random(5)
    while not stop.is_set():
        labels = rng.choice(LABEL_CHOICES)
        try:
            response = await client.post(
                f"/v1/listings/{rng.choice(listing_ids)}/reviews", json={"labels": labels, "note": "fault test"}
            )
        except httpx.HTTPError as exc:
            recorder.record(None, type(exc).__name__)
            continue
        recorder.record(response)
        if response.status_code == 201:
            recorder.acknowledged[response.json()["review_id"]] = labels
        elif response.status_code == 503:
            await asyncio.sleep(0.05)


async def crawler(client: httpx.AsyncClient, listings: list[dict], recorder: Recorder, stop: asyncio.Event) -> None:
    """Score batches of 16 back to back."""
    batches = itertools.cycle([listings[i : i + 16] for i in range(0, len(listings) - 15, 16)])
    while not stop.is_set():
        try:
            response = await client.post("/v1/score/batch", json={"listings": next(batches)})
        except httpx.HTTPError as exc:
            recorder.record(None, type(exc).__name__)
            continue
        recorder.record(response)
        if response.status_code == 503:
            await asyncio.sleep(0.05)


async def run(
    args: argparse.Namespace, base_url: str, keys: dict[str, str], data_dir: Path, bin_dir: Path
) -> dict[str, Any]:
    """Seed, load, kill, restart, recover."""
    listings, _source = crawler_listings(4000)
    reviewer_headers = {"Authorization": f"Bearer {keys['reviewer']}"}
    crawler_headers = {"Authorization": f"Bearer {keys['crawler']}"}
    recorder = Recorder()
    timeline: dict[str, float] = {}
    readyz_down: int | None = None
    async with (
        httpx.AsyncClient(base_url=base_url, headers=crawler_headers, timeout=30) as crawl,
        httpx.AsyncClient(base_url=base_url, headers=reviewer_headers, timeout=30) as review,
    ):
        seeded = await crawl.post("/v1/score/batch", json={"listings": listings[:64]})
        seeded.raise_for_status()
        listing_ids = [r["stored_listing_id"] for r in seeded.json()["results"]]
        stop = asyncio.Event()
        tasks = [asyncio.create_task(reviewer(review, listing_ids, recorder, stop)) for _ in range(args.reviewers)]
        tasks.append(asyncio.create_task(crawler(crawl, listings[64:], recorder, stop)))
        t0 = time.monotonic()
        await asyncio.sleep(args.before_s)
        # 'down' starts as the kill is sent: answers in flight then may already be 503s
        recorder.phase = "down"
        timeline["killed_at_s"] = round(time.monotonic() - t0, 2)
        await asyncio.to_thread(pg_cluster.stop, data_dir, bin_dir, immediate=True)
        await asyncio.sleep(1.0)
        readyz_down = (await review.get("/readyz")).status_code
        await asyncio.sleep(max(0.0, args.down_s - 1.0))
        await asyncio.to_thread(pg_cluster.start, data_dir, args.port, bin_dir)
        recorder.restarted_at = time.monotonic()
        recorder.phase = "after"
        timeline["restarted_at_s"] = round(recorder.restarted_at - t0, 2)
        await asyncio.sleep(args.after_s)
        stop.set()
        await asyncio.gather(*tasks)
        readyz_after = (await review.get("/readyz")).status_code
    return {
        "recorder": recorder,
        "timeline": timeline,
        "readyz_while_down": readyz_down,
        "readyz_after": readyz_after,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models")
    parser.add_argument("--out", default="reports/bench_fault.json")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reviewers", type=int, default=8, help="concurrent reviewer clients")
    parser.add_argument("--port", type=int, default=55441)
    parser.add_argument("--before-s", type=float, default=5.0)
    parser.add_argument("--down-s", type=float, default=6.0)
    parser.add_argument("--after-s", type=float, default=8.0)
    return parser.parse_args(argv)


def run_with_fault(args: argparse.Namespace, bin_dir: Path) -> tuple[dict, dict[str, list[str]], str]:
    """Serve on a throwaway cluster, load it and kill the database; returns (the run's outcome, the reviews found
    stored afterwards, the server's log)."""
    with tempfile.TemporaryDirectory(prefix="soi-fault-") as tmp:
        Path(tmp).chmod(0o755)
        data_dir = Path(tmp) / "pg"
        database_url = pg_cluster.start(data_dir, args.port, bin_dir)
        server = None
        try:
            keys = make_keys(database_url, ("crawler", "reviewer"))
            server = start_server(
                model=args.model, database_url=database_url, workers=args.workers, log_path=Path(tmp) / "server.log"
            )
            outcome = asyncio.run(run(args, server.base_url, keys, data_dir, bin_dir))
            database = Database(get_settings(database_url=database_url))
            with database.read() as session:
                stored = {row.id: list(row.labels) for row in session.scalars(select(ReviewRow))}
            database.dispose()
            return outcome, stored, server.log_path.read_text(errors="replace")
        finally:
            if server is not None:
                server.stop()
            pg_cluster.stop(data_dir, bin_dir, immediate=True)


def fault_report(args: argparse.Namespace, outcome: dict, stored: dict[str, list[str]], server_log: str) -> dict:
    """What the run showed, and whether the service behaved (``passed``)."""
    recorder: Recorder = outcome["recorder"]
    lost = sorted(rid for rid, labels in recorder.acknowledged.items() if stored.get(rid) != labels)
    unexpected = {
        phase: {s: n for s, n in counts.items() if s not in ("200", "201", "503")}
        for phase, counts in recorder.statuses.items()
    }
    server_errors = sum(
        n for counts in recorder.statuses.values() for s, n in counts.items() if s.startswith("5") and s != "503"
    )
    recovered = recorder.first_ok_after_restart
    report = {
        "what": "PostgreSQL killed (pg_ctl stop -m immediate) under review + scoring load, then restarted",
        "settings": {k: v for k, v in vars(args).items() if k not in ("out",)},
        "timeline": outcome["timeline"],
        "answers_by_phase": {phase: dict(counts) for phase, counts in recorder.statuses.items()},
        "unexpected_answers": unexpected,
        "server_errors_5xx_other_than_503": server_errors,
        "503_without_retry_after": recorder.missing_retry_after,
        "readyz_while_down": outcome["readyz_while_down"],
        "readyz_after": outcome["readyz_after"],
        "recovered_after_restart_s": None if recovered is None else round(recovered, 2),
        "reviews_acknowledged": len(recorder.acknowledged),
        "reviews_acknowledged_and_stored": len(recorder.acknowledged) - len(lost),
        "reviews_lost": len(lost),
        "tracebacks_in_server_log": server_log.count("Traceback"),
    }
    report["passed"] = (
        server_errors == 0
        and not lost
        and recorder.missing_retry_after == 0
        and recovered is not None
        and report["readyz_while_down"] == 503
        and report["readyz_after"] == 200
        and recorder.statuses["down"].get("503", 0) > 0
        and not any(unexpected.values())
    )
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the fault test; non-zero when the service misbehaved or PostgreSQL is not installed."""
    args = parse_args(argv)
    bin_dir = pg_cluster.find_bin_dir()
    if bin_dir is None:
        print(
            "bench-fault needs a local PostgreSQL server (initdb, pg_ctl); install it, e.g. "
            "`sudo apt-get install postgresql`, and run it again.",
            file=sys.stderr,
        )
        return 3
    report = fault_report(args, *run_with_fault(args, bin_dir))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        f"{'PASSED' if report['passed'] else 'FAILED'}: answers {report['answers_by_phase']}; recovered "
        f"{report['recovered_after_restart_s']} s after restart; reviews acknowledged "
        f"{report['reviews_acknowledged']}, lost {report['reviews_lost']} -> {out}"
    )
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
