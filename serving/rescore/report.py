"""What a rescoring run reports: each worker's own measurements, failures with their place, the summary.

Workers measure themselves (CPU time and peak resident memory from ``getrusage``) and send the numbers back
with each result, so the summary names every worker process whatever machine it ran on.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Self, TextIO

from tqdm import tqdm

# failures kept with their reasons (the count covers them all)
MAX_REPORTED_FAILURES = 50


@dataclass(frozen=True)
class WorkerStats:
    """One worker process as it measured itself: listings it handled, CPU seconds, peak resident memory."""

    host: str
    pid: int
    listings: int
    cpu_s: float
    peak_rss_mb: float

    @classmethod
    def measure(cls, listings: int) -> WorkerStats:
        """This process, now (CPU time includes loading the model)."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return cls(
            host=socket.gethostname(),
            pid=os.getpid(),
            listings=listings,
            cpu_s=round(usage.ru_utime + usage.ru_stime, 3),
            peak_rss_mb=round(usage.ru_maxrss / 1024, 1),  # Linux reports kilobytes
        )


@dataclass(frozen=True)
class Failure:
    """A listing that could not be scored: where it is (``file:line`` or ``listing N``) and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class WorkerResult:
    """A worker's result as one JSON string, the form results cross from engine workers to the driver.

    For frozen dataclasses with ``failures: list[Failure]`` and ``worker: WorkerStats`` among their fields.
    """

    def to_json(self) -> str:
        """This result as a JSON object."""
        return json.dumps(asdict(self), ensure_ascii=False)  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, text: str) -> Self:
        """The inverse of ``to_json``."""
        data = json.loads(text)
        data["failures"] = [Failure(**failure) for failure in data["failures"]]
        data["worker"] = WorkerStats(**data["worker"])
        return cls(**data)


@dataclass
class RescoreSummary:
    """The end of a run: scored, skipped (already done), failed with reasons, speed, and every worker."""

    target: str  # "stored listings" or the archive's source
    model_version: str
    engine: str
    workers_asked: int
    scored: int = 0
    skipped: int = 0
    failed: int = 0
    superseded: int = 0  # stored listings re-sent in a newer version while rescoring: the API scored those
    failures: list[Failure] = field(default_factory=list)
    workers: dict[str, WorkerStats] = field(default_factory=dict)
    wall_s: float = 0.0
    driver_cpu_s: float = 0.0
    started: float = field(default_factory=time.perf_counter, repr=False)
    started_cpu: float = field(default_factory=time.process_time, repr=False)

    def add_failures(self, failures: list[Failure], *, count: int | None = None) -> None:
        """Count failures (``count`` when only the first ones came with reasons); keep the first reasons."""
        self.failed += len(failures) if count is None else count
        room = MAX_REPORTED_FAILURES - len(self.failures)
        self.failures.extend(failures[: max(room, 0)])

    def add_worker(self, stats: WorkerStats) -> None:
        """Keep each worker's latest self-measurement (its counters only grow)."""
        self.workers[f"{stats.host}:{stats.pid}"] = stats

    def finish(self) -> RescoreSummary:
        """Stop the clocks."""
        self.wall_s = round(time.perf_counter() - self.started, 3)
        self.driver_cpu_s = round(time.process_time() - self.started_cpu, 3)
        return self

    @property
    def listings_per_s(self) -> float:
        """Listings scored per wall-clock second."""
        return round(self.scored / self.wall_s, 1) if self.wall_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """The summary as a JSON object (benchmarks and ``--report``)."""
        data = {k: v for k, v in asdict(self).items() if k not in ("started", "started_cpu")}
        data["listings_per_s"] = self.listings_per_s
        data["workers"] = list(data["workers"].values())
        return data

    def lines(self) -> list[str]:
        """The human summary printed at the end of a run."""
        lines = [
            f"rescored {self.target} with {self.model_version} on {self.engine}: scored {self.scored}, "
            f"skipped {self.skipped} (already done), failed {self.failed}"
            + (f", {self.superseded} superseded by a newer version" if self.superseded else ""),
            f"  {self.wall_s:.1f} s wall, {self.listings_per_s:.0f} listings/s; driver CPU {self.driver_cpu_s:.1f} s",
        ]
        for name, stats in sorted(self.workers.items()):
            lines.append(
                f"  worker {name}: {stats.listings} listings, CPU {stats.cpu_s:.1f} s, "
                f"peak RSS {stats.peak_rss_mb:.0f} MB"
            )
        lines += [f"  failed {failure}" for failure in self.failures]
        if self.failed > len(self.failures):
            lines.append(f"  … and {self.failed - len(self.failures)} more failures")
        return lines


def progress_bar(total: int | None, *, unit: str, enabled: bool = True) -> tqdm:
    """A progress bar on stderr with the rate per second (``enabled=False`` for tests and quiet runs)."""
    stream: TextIO = sys.stderr
    return tqdm(
        total=total,
        unit=f" {unit}",
        mininterval=1.0,
        file=stream,
        disable=not enabled,
        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} " + unit + " [{elapsed}<{remaining}, {rate_fmt}{postfix}]",
    )
