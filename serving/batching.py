"""Micro-batching of single-listing requests: concurrent ``POST /v1/score`` requests are scored in one model call
and stored (and linked) in one write transaction, so 200 crawlers sending one listing each get batch throughput.

A request's listing joins a bounded queue and its handler awaits a future. One collector task per app gathers
what is queued: it waits at most ``SOI_BATCH_WAIT_MS`` after the first listing (less when ``SOI_BATCH_MAX_LISTINGS``
are in), then hands the batch to this app's one scoring thread; listings arriving meanwhile form the next batch.
The event loop never scores nor touches the database.

Within a batch, listings are grouped by what must not mix: the model the request took (a reload never changes the
model under a request in flight), dry run or stored, and the case linker. Each group is one ``score_and_store``
call. When a group fails, a database outage fails all of it (each request answers 503, as it would have alone);
any other error retries each listing alone, so that one bad listing or one bug reaches only its own request.
A full queue answers 503 with ``Retry-After``; on shutdown the queue is drained for up to ``SOI_BATCH_DRAIN_S``,
and whatever is still waiting then is answered 503.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from model.predictor import Predictor
from model.schema import Listing
from serving.case_linker import CaseLinker
from serving.errors import ServiceUnavailable
from serving.schemas import StoredScore
from serving.storage.db import is_unavailable

log = logging.getLogger("soi.serving")

# score_and_store with the app's database and settings bound: (listings, raws, predictor, linker, dry_run)
ScoreBatch = Callable[..., list[StoredScore]]


@dataclass(frozen=True)
class ScoreJob:
    """One request's listing, what it must be scored and stored with, and the future its handler awaits."""

    listing: Listing
    raw: Any
    predictor: Predictor
    linker: CaseLinker | None
    dry_run: bool
    future: asyncio.Future[StoredScore]

    def group(self) -> tuple[int, int, bool]:
        """Jobs that may share one model call and one transaction have the same group."""
        return id(self.predictor), id(self.linker), self.dry_run


class ScoringBatcher:
    """Collects single listings into batches and scores them in a worker thread (``start``/``stop`` it in the
    app's lifespan)."""

    def __init__(self, score_batch: ScoreBatch, *, wait_ms: float, max_listings: int, max_queued: int) -> None:
        self.score_batch = score_batch
        self.wait_s = wait_ms / 1000
        self.max_listings = max_listings
        self.max_queued = max_queued
        self._pending: deque[ScoreJob] = deque()
        self._arrived = asyncio.Event()  # a first listing, a full batch, or stop()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="soi-scoring")

    def start(self) -> None:
        """Start collecting (in the running event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._collect(), name="soi-scoring-batcher")

    async def score(
        self, listing: Listing, raw: Any, *, predictor: Predictor, linker: CaseLinker | None, dry_run: bool
    ) -> StoredScore:
        """Queue one listing and wait for its own score; ``ServiceUnavailable`` when the queue is full or closing."""
        if self._closing or self._task is None or self._task.done():
            raise ServiceUnavailable("the service is shutting down; retry later")
        if len(self._pending) >= self.max_queued:
            raise ServiceUnavailable(f"{self.max_queued} listings are already waiting to be scored; retry later")
        future: asyncio.Future[StoredScore] = asyncio.get_running_loop().create_future()
        self._pending.append(ScoreJob(listing, raw, predictor, linker, dry_run, future))
        if len(self._pending) == 1 or len(self._pending) >= self.max_listings:
            self._arrived.set()
        return await future

    async def stop(self, *, drain_s: float) -> None:
        """Stop taking listings, score those queued for up to ``drain_s``, answer any left with 503."""
        self._closing = True
        self._arrived.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), drain_s)
            except TimeoutError:
                log.warning("scoring queue not drained within %.1f s; answering the rest 503", drain_s)
                self._task.cancel()
                with suppress(asyncio.CancelledError):
                    await self._task
        while self._pending:
            _settle(self._pending.popleft(), ServiceUnavailable("the service is shutting down; retry later"))
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _collect(self) -> None:
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._arrived.clear()
                await self._arrived.wait()
                continue
            if len(self._pending) < self.max_listings and self.wait_s > 0 and not self._closing:
                self._arrived.clear()  # set again by the listing that fills the batch
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), self.wait_s)
            jobs = [self._pending.popleft() for _ in range(min(len(self._pending), self.max_listings))]
            try:
                outcomes = await asyncio.get_running_loop().run_in_executor(self._executor, self._score_jobs, jobs)
            except asyncio.CancelledError:
                for job in jobs:  # stop() gave up waiting: the thread may still finish, but nobody will wait
                    _settle(job, ServiceUnavailable("the service is shutting down; retry later"))
                raise
            except Exception as exc:  # a bug of the batcher itself: each request answers 500, the collector goes on
                outcomes = [exc] * len(jobs)
            for job, outcome in zip(jobs, outcomes, strict=True):
                _settle(job, outcome)

    def _score_jobs(self, jobs: Sequence[ScoreJob]) -> list[StoredScore | Exception]:
        """In the scoring thread: each group in one call; a failed group is retried listing by listing."""
        groups: dict[tuple[int, int, bool], list[int]] = {}
        for index, job in enumerate(jobs):
            groups.setdefault(job.group(), []).append(index)
        outcomes: list[StoredScore | Exception] = [ServiceUnavailable("not scored")] * len(jobs)
        for indexes in groups.values():
            try:
                results: Sequence[StoredScore | Exception] = self._call([jobs[i] for i in indexes])
            except Exception as exc:
                if len(indexes) == 1 or is_unavailable(exc):
                    results = [exc] * len(indexes)
                else:
                    results = [self._alone(jobs[i]) for i in indexes]
            for index, result in zip(indexes, results, strict=True):
                outcomes[index] = result
        return outcomes

    def _call(self, jobs: Sequence[ScoreJob]) -> list[StoredScore]:
        first = jobs[0]
        return self.score_batch(
            [job.listing for job in jobs],
            [job.raw for job in jobs],
            predictor=first.predictor,
            linker=first.linker,
            dry_run=first.dry_run,
        )

    def _alone(self, job: ScoreJob) -> StoredScore | Exception:
        try:
            return self._call([job])[0]
        except Exception as exc:
            return exc


def _settle(job: ScoreJob, outcome: StoredScore | BaseException) -> None:
    """Answer a job's request (unless it is gone: a client that disconnected cancelled its future)."""
    if job.future.done():
        return
    if isinstance(outcome, BaseException):
        job.future.set_exception(outcome)
    else:
        job.future.set_result(outcome)
