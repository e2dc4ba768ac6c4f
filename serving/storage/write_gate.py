"""The queue in front of SQLite's write lock: writers wait here, and the next one starts as soon as the last ends.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25,
… up to 100 ms between tries whatever the holder does. Under load a writer then sleeps through most of the time
the lock is free (the load test saw transactions of 25 ms wait 70 ms on average, up to 1.6 s). Here each
process's writers take a thread lock, then an advisory ``flock`` on a file beside the database, polled every
fraction of a millisecond: the writers of every worker process queue with little delay, and only then does
SQLite's own lock (``BEGIN IMMEDIATE``) come, almost always free. The gate only spaces writers: correctness is
still SQLite's lock, which any writer outside it (a CLI, a migration) takes as before.

After ``timeout_s`` a writer stops waiting here and goes on to SQLite's lock, whose busy timeout then decides.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POLL_S = (0.0002, 0.0005, 0.001)  # waits between tries for the file lock: short first, then every millisecond


class WriteGate:
    """One process's gate in front of the SQLite database at ``path`` (the lock file is ``path`` + ``.write-lock``)."""

    def __init__(self, path: Path, *, timeout_s: float) -> None:
        self.lock_path = path.with_name(path.name + ".write-lock")
        self.timeout_s = timeout_s
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._fd_pid: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the gate (or give up waiting after ``timeout_s``) for the block."""
        deadline = time.monotonic() + self.timeout_s
        if not self._thread_lock.acquire(timeout=self.timeout_s):
            yield  # SQLite's busy timeout decides from here
            return
        try:
            locked = self._lock_file(deadline)
            try:
                yield
            finally:
                if locked:
                    fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def _file(self) -> int:
        # one descriptor per process (a flock belongs to an open file, and a forked worker must open its own)
        if self._fd is None or self._fd_pid != os.getpid():
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._fd_pid = os.getpid()
        return self._fd

    def _lock_file(self, deadline: float) -> bool:
        fd = self._file()
        tries = 0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(POLL_S[min(tries, len(POLL_S) - 1)])
                tries += 1
