"""SQLite's writers queue at the write gate (``serving.storage.write_gate``): one at a time across threads and
processes, the next as soon as the last ends, and none waits there past its timeout."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

from serving.settings import get_settings
from serving.storage.db import Database
from serving.storage.write_gate import WriteGate


def test_writers_of_one_process_hold_the_gate_one_at_a_time(tmp_path: Path) -> None:
    gate = WriteGate(tmp_path / "soi.db", timeout_s=5)
    inside, most = [0], [0]
    lock = threading.Lock()

    def write() -> None:
        for _ in range(20):
            with gate.held():
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.001)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_a_writer_waits_for_another_process_and_goes_as_soon_as_it_is_done(tmp_path: Path) -> None:
    gate = WriteGate(tmp_path / "soi.db", timeout_s=5)
    other = os.open(gate.lock_path, os.O_RDWR | os.O_CREAT)  # another open file: another owner, as a process is
    fcntl.flock(other, fcntl.LOCK_EX)
    threading.Timer(0.2, fcntl.flock, (other, fcntl.LOCK_UN)).start()
    started = time.monotonic()
    with gate.held():
        waited = time.monotonic() - started
        assert 0.15 < waited < 0.5  # it waited for the other writer, and no longer than a poll after it
        with pytest.raises(BlockingIOError):  # and it holds the gate now: the other writer cannot take it
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released on the way out
    os.close(other)


def test_a_writer_stops_waiting_at_the_gate_after_its_timeout(tmp_path: Path) -> None:
    gate = WriteGate(tmp_path / "soi.db", timeout_s=0.1)
    other = os.open(gate.lock_path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)  # held for good: a stuck process
    started = time.monotonic()
    with gate.held():  # goes on to SQLite's own lock (and its busy timeout)
        assert 0.09 < time.monotonic() - started < 1
    os.close(other)


def test_the_database_writes_through_the_gate(tmp_path: Path) -> None:
    database = Database(get_settings(database_url=f"sqlite:///{tmp_path / 'soi.db'}"))
    with database.write():
        assert (tmp_path / "soi.db.write-lock").exists()
        probe = os.open(tmp_path / "soi.db.write-lock", os.O_RDWR)
        with pytest.raises(BlockingIOError):  # a write holds the gate
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(probe)
    database.dispose()
