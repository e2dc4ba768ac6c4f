"""Start and stop ``python -m serving run`` as a child process on a free loopback port (for the benchmarks)."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the scripts import serving's storage code to make keys and check the database

from serving.settings import get_settings  # noqa: E402
from serving.storage.api_keys import create_api_key  # noqa: E402
from serving.storage.db import Database  # noqa: E402
from serving.storage.migrate import upgrade_database  # noqa: E402
from serving.storage.models import utc_now  # noqa: E402
from training.dataset import SEED_LISTINGS, seed_listings  # noqa: E402

REAL = (
    Path(os.environ.get("SOI_SHARED_DIR") or REPO.parent / "shared") / "data" / "real-listings" / "tiki_fashion.jsonl"
)
CONTRACT_FIELDS = ("id", "platform", "url", "title", "description", "price", "category", "brand", "seller",
                   "ships_from", "sold_count", "image_count")  # fmt: skip


def crawler_listings(limit: int) -> tuple[list[dict[str, Any]], str]:
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


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wipe_postgresql(db: Database) -> None:
    """Empty a PostgreSQL database a benchmark was given as its own (``--pg-url``): every table, type and
    sequence of the public schema goes."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")


def on_each_database(run: Callable[[str], Any], *, pg_url: str | None, name: str) -> dict[str, Any]:
    """``run(database_url)`` on a throwaway SQLite file, then on the PostgreSQL database at ``pg_url`` (wiped
    first) if given: {"sqlite": …, "postgresql": …}."""
    report = {}
    with tempfile.TemporaryDirectory() as folder:
        report["sqlite"] = run(f"sqlite:///{folder}/{name}.db")
    if pg_url:
        pg = Database(get_settings().model_copy(update={"database_url": pg_url}))
        wipe_postgresql(pg)
        pg.dispose()
        report["postgresql"] = run(pg_url)
    return report


def write_report(report: dict[str, Any], out: Path | None) -> None:
    """A benchmark's report as JSON at ``out`` (its folder made), when one is given."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))


def make_keys(database_url: str, roles: tuple[str, ...]) -> dict[str, str]:
    """Migrate the database and create one key per role; returns role -> key."""
    database = Database(get_settings(database_url=database_url))
    upgrade_database(database.engine)
    with database.write() as session:
        keys = {role: create_api_key(session, role=role, name=f"bench-{role}", now=utc_now())[1] for role in roles}
    database.dispose()
    return keys


@dataclass
class ServerProcess:
    """A running API process and its base URL."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def stop(self) -> None:
        """Terminate the server (and its workers) and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(
    *, model: str, database_url: str, workers: int, log_path: Path, extra_env: dict | None = None
) -> ServerProcess:
    """Start the API and wait (up to 120 s) until /readyz answers 200."""
    port = free_port()
    env = {**os.environ, "SOI_DATABASE_URL": database_url, "SOI_WORKERS": str(workers), **(extra_env or {})}
    # a benchmark's throwaway keys (PostgreSQL refuses to start without them)
    env.setdefault("SOI_SESSION_SECRET", "bench-session-secret")
    env.setdefault("SOI_IDENTIFIER_KEY", "bench-identifier-key")
    env.setdefault("SOI_EVIDENCE_KEY", "bench-evidence-key")
    env.pop("SOI_AUTH_DISABLED", None)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    command = [sys.executable, "-m", "serving", "run", "--port", str(port), "--model", model, "--workers", str(workers)]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = ServerProcess(process=process, base_url=f"http://127.0.0.1:{port}", log_path=log_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API exited during start; see {log_path}")
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"the API was not ready within 120 s; see {log_path}")
