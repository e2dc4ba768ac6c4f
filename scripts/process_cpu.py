"""CPU time of processes this benchmark does not run in: Ray's own processes and a local PostgreSQL server,
read from /proc (Linux), for ``bench_rescore.py``; and of a server and its workers, for ``bench_load.py``."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from serving.storage.db import Database


def _stat_fields(entry: Path) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (None when the process is gone)."""
    try:
        return (entry / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def proc_table() -> dict[int, tuple[int, float, float]]:
    """Every process from /proc: pid -> (parent pid, its own CPU seconds, CPU seconds of its reaped children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(entry)
            if fields is None:
                continue
            own, children = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
            table[int(entry.name)] = (int(fields[1]), own / ticks, children / ticks)
    return table


def descendants_cpu_s(exclude: set[int]) -> float:
    """CPU seconds of the processes below this one but ``exclude`` (Ray's raylet, GCS, agents, idle workers).

    Read from /proc just before Ray stops; the scoring actors have usually exited by then and report their own.
    """
    table = proc_table()

    def below(pid: int) -> bool:
        while pid > 1:
            pid = table[pid][0] if pid in table else 1
            if pid == os.getpid():
                return True
        return False

    return round(sum(own for pid, (_, own, _) in table.items() if pid not in exclude and below(pid)), 1)


def postgres_cpu_s(db: Database) -> float | None:
    """CPU seconds the (local) PostgreSQL server has used so far, exited backends included; None if remote."""
    with db.engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    table = proc_table()
    if backend not in table:
        return None
    postmaster = table[backend][0]
    _, own, reaped = table[postmaster]
    return own + reaped + sum(cpu for parent, cpu, _ in table.values() if parent == postmaster)


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it now (a server and its workers)."""
    table = proc_table()
    tree = [pid]
    for parent_pid in tree:  # grows while it is walked: breadth first
        tree += [child for child, (parent, _, _) in table.items() if parent == parent_pid]
    return tree


def processes_cpu_s(pids: list[int]) -> float:
    """CPU seconds the given processes have used so far (one /proc read each; those gone count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = _stat_fields(Path(f"/proc/{pid}"))
        if fields is None:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks
