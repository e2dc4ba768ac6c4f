"""The reviewers' side of the API: the queue, a listing's history, reviews and their export for training."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from model.labels import review_labels
from model.schema import Listing
from serving.storage.export import iter_recent_snapshots
from serving.storage.models import utc_now
from tests.conftest import TINY_ITEMS
from tests.serving.conftest import BACKENDS, Service, start_module_service
from training.dataset import load_examples
from training.train import TrainResult

N_LISTINGS = 3 * len(TINY_ITEMS)


@pytest.fixture(scope="module", params=BACKENDS)
def filled(
    request: pytest.FixtureRequest, trained: TrainResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """A service holding 75 scored listings on three platforms, none reviewed yet; 10% uncertain share."""
    for service in start_module_service(request, trained, tmp_path_factory, queue_uncertain_share=0.1, auth_cache_s=0):
        listings = [
            {"id": f"q-{i}", "platform": ("shopee", "facebook", "zalo")[i % 3], "title": f"{title} #{i}"}
            for i, (title, _labels) in enumerate(TINY_ITEMS * 3)
        ]
        service.score_batches(listings)
        yield service


def _queue(service: Service, **params: object) -> dict:
    response = service.client.get("/v1/queue", params=params, headers=service.keys.header("reviewer"))
    assert response.status_code == 200, response.text
    return response.json()


def _walk(service: Service, **params: object) -> list[dict]:
    items, cursor = [], None
    while True:
        page = _queue(service, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_queue_orders_by_risk_and_mixes_in_uncertain_listings(filled: Service) -> None:
    page = _queue(filled, limit=20)
    items = page["items"]
    assert len(items) == 20 and page["next_cursor"]
    uncertain = [item for item in items if item["uncertain"]]
    assert len(uncertain) == 2  # 10% of 20
    by_risk = [item["risk"] for item in items if not item["uncertain"]]
    assert by_risk == sorted(by_risk, reverse=True)
    # the uncertain ones come from below this page: the queue would not have shown them yet
    assert all(item["risk"] <= min(by_risk) for item in uncertain)
    assert len({item["listing_id"] for item in items}) == 20
    assert page == _queue(filled, limit=20)  # deterministic


def test_queue_pages_cover_every_unreviewed_listing(filled: Service) -> None:
    seen = [item["listing_id"] for item in _walk(filled, limit=7) if not item["uncertain"]]
    assert len(seen) == len(set(seen)) == N_LISTINGS


def test_queue_filters(filled: Service) -> None:
    zalo = _walk(filled, platform="zalo", limit=50)
    assert zalo and {item["platform"] for item in zalo} == {"zalo"}
    for label in review_labels():
        flagged = _walk(filled, label=label, limit=50)
        assert all(label in item["flagged"] for item in flagged)
    assert _queue(filled, since="2999-01-01T00:00:00Z")["items"] == []
    assert _queue(filled, until="2000-01-01T00:00:00")["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"label": "stolen"}, "label"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 100000}, "limit"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_queue_bad_parameters_are_422(filled: Service, params: dict, field: str) -> None:
    response = filled.client.get("/v1/queue", params=params, headers=filled.keys.header("reviewer"))
    assert response.status_code == 422
    assert field in {item["field"] for item in response.json()["detail"]}


def test_review_history_export_and_the_queue(filled: Service, tmp_path: Path) -> None:
    reviewer = filled.keys.header("reviewer")
    top = _queue(filled, limit=3)["items"]
    first, second = top[0]["listing_id"], top[1]["listing_id"]
    made = filled.client.post(f"/v1/listings/{first}/reviews", json={"labels": ["counterfeit"]}, headers=reviewer)
    assert made.status_code == 201 and made.json()["labels"] == ["counterfeit"]
    correction = {"labels": ["prohibited", "smuggled"], "note": "bóng cười, hàng nhập lậu"}
    assert filled.client.post(f"/v1/listings/{first}/reviews", json=correction, headers=reviewer).status_code == 201
    assert (
        filled.client.post(f"/v1/listings/{second}/reviews", json={"labels": []}, headers=reviewer).status_code == 201
    )

    detail = filled.client.get(f"/v1/listings/{first}", headers=reviewer).json()
    assert [r["labels"] for r in detail["reviews"]] == [["counterfeit"], ["prohibited", "smuggled"]]
    assert detail["labels"] == ["prohibited", "smuggled"] and detail["reviews"][1]["reviewer"] == "test-reviewer"
    assert detail["reviews"][0]["snapshot_id"] == detail["snapshots"][0]["snapshot_id"]

    remaining = {item["listing_id"] for item in _walk(filled, limit=50)}
    assert first not in remaining and second not in remaining

    export = filled.client.get("/v1/reviews/export", headers=reviewer)
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-ndjson")
    path = tmp_path / "reviews.jsonl"
    path.write_text(export.text, encoding="utf-8")
    examples = {e.listing.id: e for e in load_examples(path, labels=list(review_labels()))}
    assert examples[top[0]["external_id"]].listing.labels == ["prohibited", "smuggled"]
    assert examples[top[1]["external_id"]].listing.labels == []
    assert filled.client.get("/v1/reviews/export?since=2999-01-01T00:00:00Z", headers=reviewer).text == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"labels": ["stolen"]}, "labels"),
        ({"labels": "counterfeit"}, "labels"),
        ({}, "labels"),
        ({"labels": [], "note": "x" * 5000}, "note"),
    ],
)
def test_bad_review_is_422(filled: Service, body: dict, field: str) -> None:
    listing_id = _queue(filled, limit=1)["items"][0]["listing_id"]
    response = filled.client.post(
        f"/v1/listings/{listing_id}/reviews", json=body, headers=filled.keys.header("reviewer")
    )
    assert response.status_code == 422
    assert field in {item["field"] for item in response.json()["detail"]}
    if body.get("labels") == ["stolen"]:
        assert "counterfeit" in str(response.json())  # the allowed labels are named


def test_unknown_listing_is_404(filled: Service) -> None:
    reviewer = filled.keys.header("reviewer")
    assert filled.client.get("/v1/listings/999999", headers=reviewer).status_code == 404
    missing = filled.client.post("/v1/listings/999999/reviews", json={"labels": []}, headers=reviewer)
    assert missing.status_code == 404
    assert filled.client.get("/v1/listings/0", headers=reviewer).status_code == 422


def test_review_notes_are_nfc(filled: Service) -> None:
    listing_id = _queue(filled, limit=1)["items"][0]["listing_id"]
    note = unicodedata.normalize("NFD", "hàng giả, không tem")
    response = filled.client.post(
        f"/v1/listings/{listing_id}/reviews",
        json={"labels": ["counterfeit"], "note": note},
        headers=filled.keys.header("reviewer"),
    )
    assert response.status_code == 201 and response.json()["note"] == unicodedata.normalize("NFC", note)


def test_recent_listings_export_for_drift(filled: Service, tmp_path: Path) -> None:
    with filled.db.read() as session:
        recent = list(iter_recent_snapshots(session, since=utc_now() - timedelta(days=1)))
        future = list(iter_recent_snapshots(session, since=utc_now() + timedelta(days=1)))
    assert len(recent) >= 75 and future == []
    assert all(Listing.model_validate(line).title for line in recent)
