"""The API: scoring one listing and batches, and a clear 4xx for every client mistake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.settings import get_settings
from training.train import TrainResult

RISKY = {"id": "r-1", "title": "Bình khí cười N2O 8 lít bóng cười giao nhanh", "platform": "facebook"}
CLEAN = {"id": "c-1", "title": "Áo thun nam cotton basic cổ tròn", "price": 149000, "platform": "shopee"}


@pytest.fixture(scope="module")
def client(trained: TrainResult) -> Iterator[TestClient]:
    app = create_app(get_settings(model_path=str(trained.model_dir.parent), max_batch_listings=5))
    with TestClient(app) as test_client:
        yield test_client


def _fields(response) -> set[str]:
    return {item["field"] for item in response.json()["detail"]}


def test_healthz_and_model_info(client: TestClient, trained: TrainResult) -> None:
    health = client.get("/healthz").json()
    assert health == {"status": "ok", "model_loaded": True, "model_version": trained.version}
    info = client.get("/v1/model").json()
    assert info["labels"] == ["counterfeit", "smuggled", "prohibited"] and info["max_batch_listings"] == 5


def test_score_one_listing_follows_the_contract(client: TestClient, trained: TrainResult) -> None:
    response = client.post("/v1/score", json=RISKY)
    assert response.status_code == 200
    score = response.json()
    assert score["listing_id"] == "r-1" and score["model_version"] == trained.version
    assert set(score["probabilities"]) == {"counterfeit", "smuggled", "prohibited"}
    assert score["priority"] in {"high", "medium", "low"} and 0 <= score["risk"] <= 1
    for reason in score["reasons"]:
        assert {"kind", "text", "evidence", "weight"} <= set(reason)


def test_batch_keeps_order(client: TestClient) -> None:
    listings = [CLEAN, RISKY, {"title": "Giày Nike Jordan hàng nhái chuẩn 99%"}, CLEAN]
    response = client.post("/v1/score/batch", json={"listings": listings})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["listing_id"] for r in results] == ["c-1", "r-1", None, "c-1"]
    single = client.post("/v1/score", json=RISKY).json()
    assert results[1]["probabilities"] == single["probabilities"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"description": "no title"}, "title"),
        ({"title": "x", "price": -5}, "price"),
        ({"title": ["x"]}, "title"),
        ({"title": "x", "seller": "shop"}, "seller"),
        ({"title": "x", "seller": {"rating": 9}}, "seller.rating"),
    ],
)
def test_bad_listing_gets_422_naming_the_field(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/v1/score", json=body)
    assert response.status_code == 422
    assert field in _fields(response)


def test_batch_errors(client: TestClient) -> None:
    over = client.post("/v1/score/batch", json={"listings": [CLEAN] * 6})
    assert over.status_code == 422 and "listings" in _fields(over)
    empty = client.post("/v1/score/batch", json={"listings": []})
    assert empty.status_code == 422
    bad_item = client.post("/v1/score/batch", json={"listings": [CLEAN, {"title": ""}]})
    assert bad_item.status_code == 422 and "listings.1.title" in _fields(bad_item)
    wrong_shape = client.post("/v1/score/batch", json=[CLEAN])
    assert wrong_shape.status_code == 422


@pytest.mark.parametrize("payload", [b"{not json", b"", b"null", b"[1,2]", '"chuỗi"'.encode()])
def test_non_json_or_wrong_json_is_422(client: TestClient, payload: bytes) -> None:
    response = client.post("/v1/score", content=payload, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"]


def test_openapi_documents_every_listing_field(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    listing = schema["components"]["schemas"]["Listing"]["properties"]
    for name in ("title", "price", "seller", "ships_from", "labels"):
        assert listing[name].get("description"), name
    assert client.get("/docs").status_code == 200


def test_without_a_model_scoring_is_503_and_health_says_so(tmp_path: Path) -> None:
    app = create_app(get_settings(model_path=str(tmp_path)))
    with TestClient(app) as no_model:
        assert no_model.get("/healthz").json()["model_loaded"] is False
        response = no_model.post("/v1/score", json=CLEAN)
        assert response.status_code == 503 and "make train" in response.json()["detail"]
        assert response.headers["retry-after"]
