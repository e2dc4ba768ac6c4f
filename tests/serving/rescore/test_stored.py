"""Rescoring the stored listings (in-process engine): the queue follows the new model, reviews stay, resumable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from model.predictor import Predictor
from model.schema import Listing, bound_description
from serving.case_linker import CaseLinker
from serving.rescore.report import RescoreSummary
from serving.rescore.stored import BatchResult, StoredEngine, StoredJob, local_engine, make_job, rescore_stored
from serving.settings import get_settings
from serving.storage.case_tables import ListingLinkRow, OperatorRow
from serving.storage.db import Database
from serving.storage.history import add_review
from serving.storage.listings import score_values
from serving.storage.models import ListingRow, ReviewRow, ScoreRow, SnapshotRow
from serving.storage.queue import QueueFilter, read_queue
from serving.storage.rescoring import RescoredSnapshot, get_run, write_rescored
from tests.serving.test_storage import T0
from tests.serving.test_storage import _store as store_listings
from training.train import TrainResult


def _job(db: Database, model: TrainResult, *, page: int = 4) -> StoredJob:
    url = db.engine.url.render_as_string(hide_password=False)
    return make_job(get_settings(database_url=url), model.model_dir, page=page)


def _rescore(job: StoredJob, engine: StoredEngine = local_engine) -> RescoreSummary:
    return rescore_stored(job, engine, engine_name="test", workers=1, ids_per_range=7, show_progress=False)


def _queue_ids(db: Database) -> list[int]:
    with db.read() as session:
        page = read_queue(session, QueueFilter(), limit=200, uncertain_share=0.0, cursor=None)
    return [row.id for row, _uncertain in page.items]


def _reviews(db: Database) -> list[tuple]:
    with db.read() as session:
        rows = session.scalars(select(ReviewRow).order_by(ReviewRow.id))
        return [(r.id, r.listing_id, r.snapshot_id, r.reviewer, r.labels, r.note, r.created_at) for r in rows]


def _expected(db: Database, predictor: Predictor) -> dict[int, dict]:
    """What the API would store for each listing's latest snapshot with ``predictor`` (bounded description)."""
    limit = get_settings().model_description_chars
    with db.read() as session:
        rows = session.execute(
            select(ListingRow.id, SnapshotRow.raw_json).join(
                SnapshotRow, SnapshotRow.id == ListingRow.latest_snapshot_id
            )
        ).all()
    listings = [bound_description(Listing.model_validate(json.loads(raw)), limit) for _, raw in rows]
    scores = predictor.score(listings)
    return {listing_id: score_values(score) for (listing_id, _), score in zip(rows, scores, strict=True)}


def test_queue_follows_the_new_model_and_reviews_are_untouched(
    database: Database,
    trained: TrainResult,
    second_model: TrainResult,
    first_predictor: Predictor,
    second_predictor: Predictor,
    listing_raws: list[dict],
) -> None:
    ids = store_listings(database, first_predictor, listing_raws)
    reviewed = ids[9:12]  # prohibited listings the first model put near the top
    with database.write() as session:
        for listing_id in reviewed:
            add_review(session, listing_id, reviewer="r", api_key_id=None, labels=["prohibited"], note=None, now=T0)
    reviews_before, queue_before = _reviews(database), _queue_ids(database)

    summary = _rescore(_job(database, second_model))

    assert (summary.scored, summary.skipped, summary.failed) == (len(ids), 0, 0)
    expected = _expected(database, second_predictor)
    with database.read() as session:
        listings = {row.id: row for row in session.scalars(select(ListingRow))}
        new_scores = {
            row.listing_id: row
            for row in session.scalars(select(ScoreRow).where(ScoreRow.model_version == second_predictor.version))
        }
        old_scores = session.scalar(
            select(func.count()).select_from(ScoreRow).where(ScoreRow.model_version == first_predictor.version)
        )
    for listing_id, values in expected.items():
        row, score = listings[listing_id], new_scores[listing_id]
        assert {key: getattr(score, key) for key in values} == values  # the score the API would store
        assert (row.latest_score_id, row.latest_model_version) == (score.id, second_predictor.version)
        assert (row.latest_risk, row.latest_priority) == (values["risk"], values["priority"])
        assert row.latest_flagged == values["flagged"]  # the listing_flags rows, in the score's order
    assert old_scores == len(ids)  # the first model's scores stay in the history
    # the queue: unreviewed listings by the second model's risk; reviewed ones stay reviewed, reviews unchanged
    queue_after = _queue_ids(database)
    assert queue_after == sorted(set(ids) - set(reviewed), key=lambda i: (-expected[i]["risk"], -i))
    assert queue_after != queue_before
    assert all(listings[i].reviewed_at is not None for i in reviewed)
    assert _reviews(database) == reviews_before


def test_a_crashed_run_resumes_without_scoring_anything_twice(
    database: Database, first_predictor: Predictor, second_model: TrainResult, listing_raws: list[dict]
) -> None:
    ids = store_listings(database, first_predictor, listing_raws)
    job = _job(database, second_model, page=4)
    seen: list[int] = []

    def crashing(job: StoredJob, ranges: list) -> Iterator[BatchResult]:
        for number, result in enumerate(local_engine(job, ranges)):
            seen.append(result.listings)
            yield result
            if number == 1:
                raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError, match="worker lost"):
        _rescore(job, crashing)
    committed = sum(seen)  # two pages, committed before the crash
    assert 0 < committed < len(ids)
    with database.read() as session:
        run = get_run(session, job.model_version)
        assert run is not None and run.finished_at is None

    counted: list[int] = []

    def counting(job: StoredJob, ranges: list) -> Iterator[BatchResult]:
        for result in local_engine(job, ranges):
            counted.append(result.listings)
            yield result

    summary = _rescore(job, counting)
    assert sum(counted) == len(ids) - committed  # only what the crash left, none of it twice
    assert (summary.scored, summary.skipped) == (len(ids) - committed, committed)
    with database.read() as session:
        per_snapshot = session.execute(
            select(ScoreRow.snapshot_id, func.count())
            .where(ScoreRow.model_version == job.model_version)
            .group_by(ScoreRow.snapshot_id)
        ).all()
        run = get_run(session, job.model_version)
    assert len(per_snapshot) == len(ids) and {count for _, count in per_snapshot} == {1}
    assert run is not None and (run.attempts, run.scored, run.failed) == (2, len(ids), 0)
    assert run.finished_at is not None
    assert _rescore(job).scored == 0  # a third run finds nothing to do


def test_a_bad_snapshot_is_reported_and_the_rest_scored(
    database: Database, first_predictor: Predictor, second_model: TrainResult, listing_raws: list[dict]
) -> None:
    ids = store_listings(database, first_predictor, listing_raws[:6])
    with database.write() as session:  # a snapshot stored under an older, laxer contract
        session.execute(
            text('UPDATE listing_snapshots SET raw_json = \'{"title": ""}\' WHERE listing_id = :i'), {"i": ids[2]}
        )
    summary = _rescore(_job(database, second_model))
    assert (summary.scored, summary.failed) == (5, 1)
    assert summary.failures[0].where.startswith(f"listing {ids[2]} ")
    assert "title" in summary.failures[0].reason
    with database.read() as session:
        run = get_run(session, summary.model_version)
    assert run is not None and run.failed == 1 and run.last_error is not None


def test_a_listing_resent_while_rescoring_keeps_its_newer_version(
    database: Database, first_predictor: Predictor, second_predictor: Predictor, listing_raws: list[dict]
) -> None:
    [listing_id] = store_listings(database, first_predictor, listing_raws[:1])
    with database.read() as session:
        old_snapshot = session.get(ListingRow, listing_id).latest_snapshot_id
    # the crawler sends a new version (the API scores and stores it) after the rescore read the old one
    store_listings(database, first_predictor, [{**listing_raws[0], "price": 1}])
    score = second_predictor.score([Listing.model_validate(listing_raws[0])])[0]
    stale = RescoredSnapshot(
        listing_id, old_snapshot, score_values(score), {"latest_model_version": score.model_version}
    )
    with database.write() as session:
        assert write_rescored(session, [stale], now=T0) == []
    with database.read() as session:
        row = session.get(ListingRow, listing_id)
        assert row.latest_snapshot_id != old_snapshot
        assert row.latest_model_version == first_predictor.version
        # the old version's new score joins its history all the same
        assert (
            session.scalar(select(func.count()).select_from(ScoreRow).where(ScoreRow.snapshot_id == old_snapshot)) == 2
        )


def test_the_cases_hook_sees_every_listing_whose_latest_score_changed(
    database: Database,
    first_predictor: Predictor,
    second_model: TrainResult,
    listing_raws: list[dict],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = store_listings(database, first_predictor, listing_raws[:9])
    calls: list[tuple[list[int], tuple[str, ...], set[str | None]]] = []

    def record(session: Session, listing_ids: list[int], *, now: datetime, labels: tuple[str, ...]) -> None:
        # inside the write transaction: the listings already show the new model
        versions = set(session.scalars(select(ListingRow.latest_model_version).where(ListingRow.id.in_(listing_ids))))
        calls.append((listing_ids, labels, versions))

    monkeypatch.setattr("serving.rescore.stored.after_latest_scores_changed", record)
    summary = _rescore(_job(database, second_model, page=4))
    assert sorted(i for listing_ids, _, _ in calls for i in listing_ids) == sorted(ids)
    assert {labels for _, labels, _ in calls} == {("counterfeit", "smuggled", "prohibited")}
    assert {version for _, _, versions in calls for version in versions} == {summary.model_version}


def test_each_case_follows_the_new_model(
    database: Database, first_predictor: Predictor, second_model: TrainResult, listing_raws: list[dict]
) -> None:
    linker = CaseLinker(identifier_key=b"test", max_sellers=100, labels=first_predictor.labels)
    # one operator: three listings sharing a phone number, each with its own text
    raws = [{**raw, "description": f"{raw.get('description') or ''} zalo 0912 345 678"} for raw in listing_raws[:3]]
    ids = store_listings(database, first_predictor, raws)
    with database.write() as session:
        linker.link(session, ids, linker.fingerprint([Listing.model_validate(raw) for raw in raws]))

    def case_and_listings() -> tuple[OperatorRow, list[ListingRow]]:
        with database.read() as session:
            [operator_id] = set(session.scalars(select(ListingLinkRow.operator_id)))
            listings = list(session.scalars(select(ListingRow).where(ListingRow.id.in_(ids))))
            return session.get(OperatorRow, operator_id), listings

    before, _ = case_and_listings()
    _rescore(_job(database, second_model))
    after, listings = case_and_listings()
    assert {row.latest_model_version for row in listings} == {Predictor.load(second_model.model_dir).version}
    assert after.max_risk == pytest.approx(max(row.latest_risk for row in listings))
    assert after.max_risk != pytest.approx(before.max_risk)  # the second model disagrees with the first
    for label in first_predictor.labels:
        assert after.flagged_counts.get(label, 0) == sum(label in row.latest_flagged for row in listings)
