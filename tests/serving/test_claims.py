"""Claiming: concurrent reviewers never get the same listing; leases expire; a review ends a claim; the API."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from serving import team
from serving.auth import Principal
from serving.settings import get_settings
from serving.storage.claims import claim_listings, release_claim
from serving.storage.content import canonical_json
from serving.storage.db import Database
from serving.storage.migrate import downgrade_database, upgrade_database
from serving.storage.models import ListingRow
from serving.storage.queue import QueueFilter, queue_selection, read_queue
from serving.storage.review_checks import Viewer
from tests.conftest import TINY_ITEMS
from tests.serving.conftest import BACKENDS, Service, make_database_url, start_module_service
from training.train import TrainResult

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
REVIEWERS, CLAIMS_EACH = 20, 50


def _add_listings(db: Database, count: int) -> None:
    """``count`` scored, unreviewed listings (risk varies, some ties), written directly."""
    with db.write() as session:
        for i in range(count):
            key = canonical_json(["id", "test", str(i)])
            session.add(
                ListingRow(
                    key=key,
                    key_hash=hashlib.sha256(key.encode()).hexdigest(),
                    title=f"listing {i}",
                    first_seen=T0,
                    last_seen=T0,
                    latest_risk=round((i * 7919 % 1000) / 1000, 2),
                    latest_priority="low",
                    latest_uncertainty=0.1,
                    latest_scored_at=T0,
                )
            )


@pytest.fixture(params=BACKENDS)
def crowded(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:
    """A database holding one queue of REVIEWERS × CLAIMS_EACH listings, with a connection per reviewer."""
    url = make_database_url(request.param, tmp_path)
    db = Database(get_settings(database_url=url, db_pool_size=REVIEWERS + 1, db_max_overflow=0))
    upgrade_database(db.engine)
    _add_listings(db, REVIEWERS * CLAIMS_EACH)
    yield db
    db.dispose()


def test_twenty_reviewers_claiming_fifty_times_at_once_never_share_a_listing(crowded: Database) -> None:
    settings = get_settings()
    got: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(REVIEWERS)

    def work(name: str) -> None:
        caller = Principal(name=name, role="reviewer", key_id=None)
        mine: list[int] = []
        try:
            start.wait()
            for _ in range(CLAIMS_EACH):
                mine += [
                    item.listing_id for item in team.claim_next(crowded, settings, QueueFilter(), caller=caller, n=1)
                ]
        except BaseException as exc:
            errors.append(exc)
        got[name] = mine

    threads = [threading.Thread(target=work, args=(f"reviewer-{i}",)) for i in range(REVIEWERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    claimed = [listing_id for ids in got.values() for listing_id in ids]
    assert len(claimed) == REVIEWERS * CLAIMS_EACH and len(set(claimed)) == len(claimed)  # 0 duplicates
    assert all(len(ids) == CLAIMS_EACH for ids in got.values())
    with crowded.read() as session:
        holders = dict(session.execute(select(ListingRow.id, ListingRow.claimed_by)).all())
    assert all(holders[listing_id] == name for name, ids in got.items() for listing_id in ids)


def _queue_ids(db: Database, viewer: Viewer) -> list[int]:
    with db.read() as session:
        page = read_queue(session, QueueFilter(viewer=viewer), limit=100, uncertain_share=0, cursor=None)
        return [row.id for row, _uncertain in page.items]


def test_a_claim_hides_the_listing_from_others_until_its_lease_ends(tmp_path) -> None:
    db = Database(get_settings(database_url=f"sqlite:///{tmp_path / 'soi.db'}"))
    upgrade_database(db.engine)
    _add_listings(db, 5)
    alice, bob = Viewer("alice", False, T0), Viewer("bob", False, T0)
    with db.write() as session:
        candidates = queue_selection(QueueFilter(viewer=alice)).with_only_columns(ListingRow.id)
        order = [ListingRow.latest_risk.desc(), ListingRow.id.desc()]
        [top] = claim_listings(session, candidates, order, reviewer="alice", n=1, lease_s=600, now=T0)
    assert top == _queue_ids(db, alice)[0]  # the claimer still sees it, at its place
    assert top not in _queue_ids(db, bob)
    assert top not in _queue_ids(db, Viewer("bob", False, T0 + timedelta(seconds=599)))
    assert top in _queue_ids(db, Viewer("bob", False, T0 + timedelta(seconds=600)))  # the lease ran out
    with db.write() as session:
        assert not release_claim(session, top, reviewer="bob")  # only the holder lets go
        assert release_claim(session, top, reviewer="alice")
    assert top in _queue_ids(db, bob)
    db.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def service(request: pytest.FixtureRequest, trained: TrainResult, tmp_path_factory) -> Iterator[Service]:
    """A service with 25 scored listings and no second reviews (claims alone)."""
    for service in start_module_service(request, trained, tmp_path_factory, auth_cache_s=0, second_review_share=0.0):
        listings = [{"id": f"c-{i}", "platform": "shopee", "title": title} for i, (title, _) in enumerate(TINY_ITEMS)]
        answer = service.client.post(
            "/v1/score/batch", json={"listings": listings[:20]}, headers=_h(service, "crawler")
        )
        assert answer.status_code == 200
        answer = service.client.post(
            "/v1/score/batch", json={"listings": listings[20:]}, headers=_h(service, "crawler")
        )
        assert answer.status_code == 200
        yield service


def _h(service: Service, role: str) -> dict[str, str]:
    return service.keys.header(role)


def _queue(service: Service, role: str) -> list[dict]:
    answer = service.client.get("/v1/queue", params={"limit": 100}, headers=_h(service, role))
    assert answer.status_code == 200
    return answer.json()["items"]


def test_claiming_through_the_api(service: Service) -> None:
    before = [item["listing_id"] for item in _queue(service, "lead")]
    answer = service.client.post(
        "/v1/queue/claim", params={"n": 3, "platform": "shopee"}, headers=_h(service, "reviewer")
    )
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    ids = [item["listing_id"] for item in items]
    assert ids == before[:3] and all(item["claim_expires_at"] for item in items)  # the top 3, in queue order
    # skipped by everyone else's queue, shown (with the lease) in the claimer's own
    assert not set(ids) & {item["listing_id"] for item in _queue(service, "lead")}
    mine = {item["listing_id"]: item for item in _queue(service, "reviewer")}
    assert all(mine[i]["claim_expires_at"] for i in ids)
    # someone else cannot take it; the holder renews it; releasing gives it back
    taken = service.client.post(f"/v1/listings/{ids[0]}/claim", headers=_h(service, "lead"))
    assert taken.status_code == 409 and "test-reviewer" in taken.json()["detail"]
    renewed = service.client.post(f"/v1/listings/{ids[0]}/claim", headers=_h(service, "reviewer"))
    assert renewed.status_code == 200 and renewed.json()["claimed_by"] == "test-reviewer"
    assert service.client.delete(f"/v1/listings/{ids[0]}/claim", headers=_h(service, "reviewer")).status_code == 204
    assert ids[0] in {item["listing_id"] for item in _queue(service, "lead")}
    # a review ends the claim (the reviewed listing leaves every queue)
    review = service.client.post(f"/v1/listings/{ids[1]}/reviews", json={"labels": []}, headers=_h(service, "reviewer"))
    assert review.status_code == 201
    detail = service.client.get(f"/v1/listings/{ids[1]}", headers=_h(service, "lead")).json()
    assert detail["claim"] is None
    assert service.client.post("/v1/queue/claim", params={"n": 0}, headers=_h(service, "reviewer")).status_code == 422
    assert service.client.post("/v1/queue/claim", headers=_h(service, "crawler")).status_code == 403
    assert service.client.post("/v1/listings/999999/claim", headers=_h(service, "reviewer")).status_code == 404


def test_the_team_migration_goes_down_and_up_again_with_reviews_in_place(database: Database) -> None:
    _add_listings(database, 1)
    with database.write() as session:
        listing = session.scalars(select(ListingRow)).one()
        listing.claimed_by, listing.review_stage = "someone", "second"
    downgrade_database(database.engine, "0002")
    columns = {column["name"] for column in inspect(database.engine).get_columns("listings")}
    assert not columns & {"claimed_by", "claim_expires_at", "review_stage"}
    assert "review_checks" not in inspect(database.engine).get_table_names()
    upgrade_database(database.engine)
    with database.read() as session:
        assert session.scalars(select(ListingRow)).one().claimed_by is None  # the listing survived, unclaimed
