"""Hostile clients against a real server process (uvicorn on loopback, SQLite): a slow request head is cut off,
and 1,000 hostile requests leave the server's memory within 1.5× of what it used after start-up and warm-up."""

from __future__ import annotations

import importlib.util
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from training.train import TrainResult

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
HEADER_TIMEOUT_S = 1.0
MEMORY_RATIO = 1.5  # the bound stated in the README


def _bench() -> ModuleType:
    sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location("bench_hostile", SCRIPTS / "bench_hostile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def server(trained: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    """``python -m serving run`` with a 1 s header timeout, and a crawler key."""
    bench = _bench()
    folder = tmp_path_factory.mktemp("hostile-server")
    database_url = f"sqlite:///{folder / 'soi.db'}"
    key = bench.make_keys(database_url, ("crawler",))["crawler"]
    process = bench.start_server(
        model=str(trained.model_dir.parent),
        database_url=database_url,
        workers=1,
        log_path=folder / "server.log",
        extra_env={"SOI_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S), "SOI_LOG_LEVEL": "warning"},
    )
    try:
        yield process, key
    finally:
        process.stop()


def _closed_after(sock: socket.socket, limit_s: float) -> float | None:
    """Seconds until the server closed the connection (None if it did not within ``limit_s``)."""
    started = time.monotonic()
    sock.settimeout(limit_s)
    try:
        while sock.recv(1024):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:  # closed with unread bytes in the server's buffer: a reset, still a close
        pass
    return time.monotonic() - started


def test_a_slow_request_head_is_cut_off(server: tuple) -> None:
    process, _key = server
    host, port = process.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as silent:
        assert _closed_after(silent, 10 * HEADER_TIMEOUT_S) is not None  # never sent a byte
    with socket.create_connection((host, int(port))) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: soi\r\n")
        for _ in range(3):  # a byte now and then keeps no connection open past the deadline
            time.sleep(HEADER_TIMEOUT_S / 3)
            try:
                slow.sendall(b"X")
            except OSError:
                break
        assert _closed_after(slow, 10 * HEADER_TIMEOUT_S) is not None
    with socket.create_connection((host, int(port))) as prompt:  # a whole head in time is answered as usual
        prompt.sendall(b"GET /healthz HTTP/1.1\r\nHost: soi\r\nConnection: close\r\n\r\n")
        answer = b""
        prompt.settimeout(10)
        while chunk := prompt.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")


def test_memory_after_1000_hostile_requests_stays_within_the_bound(server: tuple) -> None:
    process, key = server
    # the benchmark's requests, with shorter stored descriptions (the model reads 1,500 characters of them anyway)
    memory = _bench().memory_after_hostile_requests(process, key, count=1_000, stored_description_chars=5_000)
    assert memory["server_errors"] == 0, memory
    assert memory["rss_after_hostile_mb"] <= MEMORY_RATIO * memory["rss_after_warm_up_mb"], memory
