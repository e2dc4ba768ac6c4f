"""Rescoring the stored listings: what one engine worker does with a page, and the run around it.

A worker (``StoredRescorer``) loads the model and opens the database once; for each page of pending listings
it scores their latest snapshots exactly as the API does (``bound_description`` then ``Predictor.score``) and
writes them back in one small transaction. ``rescore_stored`` plans the run, feeds the pages to an engine
(``local_engine`` here, in this process; ``serving.rescore.engine.ray_stored_engine`` on Ray Data), keeps the
progress record and returns the summary. Neither imports an engine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from model.artifact import load_card, resolve_model_dir
from model.errors import DataError
from model.jsonl import parse_listing
from model.schema import Listing, bound_description
from serving.reloads import load_predictor
from serving.rescore.report import Failure, RescoreSummary, WorkerResult, WorkerStats, progress_bar
from serving.settings import Settings, get_settings
from serving.storage.db import Database
from serving.storage.linking import refresh_operators_of
from serving.storage.listings import queue_values, score_values
from serving.storage.migrate import upgrade_database
from serving.storage.models import utc_now
from serving.storage.rescoring import (
    IdRange,
    PendingSnapshot,
    RescoredSnapshot,
    count_pending,
    iter_pending,
    plan_ranges,
    start_run,
    update_run,
    write_rescored,
)

PROGRESS_RECORD_EVERY_S = 10.0


def after_latest_scores_changed(
    session: Session, listing_ids: list[int], *, now: datetime, labels: tuple[str, ...]
) -> None:
    """Called in each write transaction with the listings whose latest score the rescore just replaced.

    The queue orders by the listing rows' latest fields, which the write itself updated, so it needs nothing
    here. Cases (operators) keep their own aggregate of their listings' latest risk and flagged labels: it is
    refreshed here, in the same transaction and under the same lock as ingest's linking, so each case's risk
    follows the new model too.
    """
    refresh_operators_of(session, listing_ids, now=now, labels=labels)


@dataclass(frozen=True)
class BatchResult(WorkerResult):
    """What a worker reports for one page: listings read, written, superseded, failed, and its own stats."""

    listings: int
    scored: int
    superseded: int
    failures: list[Failure]
    worker: WorkerStats


class StoredRescorer:
    """One worker: the model loaded once, a database handle, and a page → score → write loop body."""

    def __init__(self, *, model_dir: str, database_url: str, max_description_chars: int, max_read_ms: float) -> None:
        self.predictor = load_predictor(model_dir, max_read_ms=max_read_ms, threads=1)  # an actor holds one CPU
        self.db = Database(get_settings(database_url=database_url))
        self.max_description_chars = max_description_chars
        self.listings = 0

    def score(self, pending: Sequence[PendingSnapshot]) -> tuple[list[RescoredSnapshot], list[Failure]]:
        """Score the pending snapshots; a snapshot that is not a valid listing any more is a failure, not a stop."""
        valid: list[tuple[PendingSnapshot, Listing]] = []
        failures = []
        for item in pending:
            where = f"listing {item.listing_id} (snapshot {item.snapshot_id})"
            try:
                valid.append((item, parse_listing(json.loads(item.raw_json), where=where)))
            except (DataError, json.JSONDecodeError) as exc:
                failures.append(Failure(where, str(exc).removeprefix(f"{where}: ")))
        scores = self.predictor.score([bound_description(listing, self.max_description_chars) for _, listing in valid])
        thresholds = self.predictor.thresholds
        rescored = [
            RescoredSnapshot(item.listing_id, item.snapshot_id, score_values(score), queue_values(score, thresholds))
            for (item, _), score in zip(valid, scores, strict=True)
        ]
        return rescored, failures

    def rescore(self, pending: Sequence[PendingSnapshot]) -> BatchResult:
        """Score a page and write it back in one transaction."""
        rescored, failures = self.score(pending)
        now = utc_now()
        with self.db.write() as session:
            updated = write_rescored(session, rescored, now=now)
            after_latest_scores_changed(session, updated, now=now, labels=self.predictor.labels)
        self.listings += len(pending)
        return BatchResult(
            listings=len(pending),
            scored=len(updated),
            superseded=len(rescored) - len(updated),
            failures=failures,
            worker=WorkerStats.measure(self.listings),
        )

    def close(self) -> None:
        """Close the database connections."""
        self.db.dispose()


@dataclass(frozen=True)
class StoredJob:
    """Everything a worker needs, as plain values an engine can ship to another machine."""

    model_dir: str  # the concrete artifact folder, resolved once, so every worker loads the same model
    model_version: str
    database_url: str
    max_description_chars: int  # what the model reads of a description (SOI_MODEL_DESCRIPTION_CHARS)
    max_read_ms: float  # the reading budget per listing (SOI_MAX_READ_MS), as the API applies it
    page: int  # listings per page: one read, one scoring batch, one write transaction

    def rescorer(self) -> StoredRescorer:
        """A worker for this job."""
        return StoredRescorer(
            model_dir=self.model_dir,
            database_url=self.database_url,
            max_description_chars=self.max_description_chars,
            max_read_ms=self.max_read_ms,
        )


# An engine takes the job and the id ranges, and yields one result per page as pages complete.
StoredEngine = Callable[[StoredJob, list[IdRange]], Iterator[BatchResult]]


def local_engine(job: StoredJob, ranges: list[IdRange]) -> Iterator[BatchResult]:
    """The engine without an engine: one worker in this process (tests, small databases, no Ray installed)."""
    if not ranges:
        return
    rescorer = job.rescorer()
    try:
        for id_range in ranges:
            for pending in iter_pending(rescorer.db, id_range, job.model_version, page=job.page):
                yield rescorer.rescore(pending)
    finally:
        rescorer.close()


def make_job(settings: Settings, model_path: str | Path, *, page: int) -> StoredJob:
    """The job for the current model (``models/current`` resolved now) and the configured database."""
    model_dir = resolve_model_dir(Path(model_path))
    return StoredJob(
        model_dir=str(model_dir),
        model_version=load_card(model_dir).version,
        database_url=settings.database_url,
        max_description_chars=settings.model_description_chars,
        max_read_ms=settings.max_read_ms,
        page=page,
    )


def rescore_stored(
    job: StoredJob,
    engine: StoredEngine,
    *,
    engine_name: str,
    workers: int,
    ids_per_range: int,
    show_progress: bool = True,
) -> RescoreSummary:
    """Rescore every stored listing whose latest score is not of the job's model; resumable at any point.

    A progress bar (listings/s) on stderr unless ``show_progress`` is false. The progress record is written at
    the start, every ``PROGRESS_RECORD_EVERY_S`` seconds and at the end.
    """
    db = Database(get_settings(database_url=job.database_url))
    upgrade_database(db.engine)
    try:
        with db.read() as session:  # the counting and planning scans hold no write lock
            pending, done = count_pending(session, job.model_version)
            ranges = plan_ranges(session, job.model_version, ids_per_range=ids_per_range)
        with db.write() as session:
            start_run(session, job.model_version, now=utc_now())
        summary = RescoreSummary("stored listings", job.model_version, engine_name, workers, skipped=done)
        recorded = time.monotonic()
        bar = progress_bar(pending, unit="listings", enabled=show_progress)
        for result in engine(job, ranges):
            summary.scored += result.scored
            summary.superseded += result.superseded
            summary.add_failures(result.failures)
            summary.add_worker(result.worker)
            bar.update(result.listings)
            if time.monotonic() - recorded > PROGRESS_RECORD_EVERY_S:
                _record(db, summary, done, finished=False)
                recorded = time.monotonic()
        bar.close()
        _record(db, summary, done, finished=True)
        return summary.finish()
    finally:
        db.dispose()


def _record(db: Database, summary: RescoreSummary, done_at_start: int, *, finished: bool) -> None:
    with db.write() as session:
        update_run(
            session,
            summary.model_version,
            scored=done_at_start + summary.scored,
            failed=summary.failed,
            first_error=str(summary.failures[0]) if summary.failures else None,
            finished=finished,
            now=utc_now(),
        )
