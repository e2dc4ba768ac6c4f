"""The scoring API: one listing and batches, stored as scored, keys and roles, and a clear 4xx for every
client mistake. Each test runs on SQLite, and on PostgreSQL when one is configured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from model import __version__
from serving.app import create_app
from serving.settings import get_settings
from tests.serving.conftest import Service
from training.train import TrainResult

RISKY = {"id": "r-1", "title": "Bình khí cười N2O 8 lít bóng cười giao nhanh", "platform": "facebook"}
CLEAN = {"id": "c-1", "title": "Áo thun nam cotton basic cổ tròn", "price": 149000, "platform": "shopee"}


def _fields(response) -> set[str]:
    return {item["field"] for item in response.json()["detail"]}


def test_healthz_and_model_info(service: Service, trained: TrainResult) -> None:
    health = service.client.get("/healthz").json()
    assert health == {"status": "ok", "model_loaded": True, "model_version": trained.version}
    assert service.client.get("/openapi.json").json()["info"]["version"] == __version__  # written once, in model/
    info = service.client.get("/v1/model", headers=service.keys.header("reviewer")).json()
    assert info["labels"] == ["counterfeit", "smuggled", "prohibited"] and info["max_batch_listings"] == 5


def test_score_one_listing_follows_the_contract_and_is_stored(service: Service, trained: TrainResult) -> None:
    response = service.client.post("/v1/score", json=RISKY, headers=service.keys.header("crawler"))
    assert response.status_code == 200
    score = response.json()
    assert score["listing_id"] == "r-1" and score["model_version"] == trained.version
    assert set(score["probabilities"]) == {"counterfeit", "smuggled", "prohibited"}
    assert score["priority"] in {"high", "medium", "low"} and 0 <= score["risk"] <= 1
    for reason in score["reasons"]:
        assert {"kind", "text", "evidence", "weight"} <= set(reason)
    stored = score["stored_listing_id"]
    assert isinstance(stored, int) and response.headers["x-soi-listing-id"] == str(stored)
    detail = service.client.get(f"/v1/listings/{stored}", headers=service.keys.header("reviewer")).json()
    assert detail["snapshots"][0]["listing"] == RISKY
    assert detail["scores"][0]["risk"] == score["risk"]


def test_dry_run_scores_without_storing(service: Service) -> None:
    listing = {"id": "dry-1", "platform": "tiki", "title": "Giày Nike Jordan hàng nhái chuẩn 99%"}
    response = service.client.post("/v1/score?dry_run=true", json=listing, headers=service.keys.header("crawler"))
    assert response.status_code == 200 and response.json()["stored_listing_id"] is None
    assert "x-soi-listing-id" not in response.headers
    batch = service.client.post(
        "/v1/score/batch?dry_run=true", json={"listings": [listing]}, headers=service.keys.header("crawler")
    )
    assert batch.json()["results"][0]["stored_listing_id"] is None
    queue = service.client.get("/v1/queue?limit=200", headers=service.keys.header("reviewer")).json()
    assert "dry-1" not in {item["external_id"] for item in queue["items"]}


def test_batch_keeps_order(service: Service) -> None:
    listings = [CLEAN, RISKY, {"title": "Giày Nike Jordan hàng nhái chuẩn 99%"}, CLEAN]
    response = service.client.post(
        "/v1/score/batch", json={"listings": listings}, headers=service.keys.header("crawler")
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["listing_id"] for r in results] == ["c-1", "r-1", None, "c-1"]
    assert results[0]["stored_listing_id"] == results[3]["stored_listing_id"] != results[1]["stored_listing_id"]
    single = service.client.post("/v1/score", json=RISKY, headers=service.keys.header("crawler")).json()
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
        ({"title": "x" * 1001}, "title"),
        ({"title": "x", "labels": ["stolen"]}, "labels"),
    ],
)
def test_bad_listing_gets_422_naming_the_field(service: Service, body: dict, field: str) -> None:
    response = service.client.post("/v1/score", json=body, headers=service.keys.header("crawler"))
    assert response.status_code == 422
    assert field in _fields(response)


def test_batch_errors(service: Service) -> None:
    headers = service.keys.header("crawler")
    over = service.client.post("/v1/score/batch", json={"listings": [CLEAN] * 6}, headers=headers)
    assert over.status_code == 422 and "listings" in _fields(over)
    empty = service.client.post("/v1/score/batch", json={"listings": []}, headers=headers)
    assert empty.status_code == 422
    bad_item = service.client.post("/v1/score/batch", json={"listings": [CLEAN, {"title": ""}]}, headers=headers)
    assert bad_item.status_code == 422 and "listings.1.title" in _fields(bad_item)
    wrong_shape = service.client.post("/v1/score/batch", json=[CLEAN], headers=headers)
    assert wrong_shape.status_code == 422


@pytest.mark.parametrize("payload", [b"{not json", b"", b"null", b"[1,2]", '"chuỗi"'.encode()])
def test_non_json_or_wrong_json_is_422(service: Service, payload: bytes) -> None:
    headers = {"content-type": "application/json", **service.keys.header("crawler")}
    response = service.client.post("/v1/score", content=payload, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_oversize_body_is_413(service: Service) -> None:
    huge = {"title": "Áo thun", "description": "x" * 2_100_000}
    response = service.client.post("/v1/score", json=huge, headers=service.keys.header("crawler"))
    assert response.status_code == 413 and "bytes" in response.json()["detail"]


def test_long_description_is_scored_on_its_beginning_and_stored_whole(service: Service) -> None:
    description = "Hàng có sẵn. " * 2000  # 26,000 characters: over the model's 5,000, under the 100,000 limit
    listing = {"id": "long-1", "platform": "shopee", "title": "Áo khoác gió nam", "description": description}
    response = service.client.post("/v1/score", json=listing, headers=service.keys.header("crawler"))
    assert response.status_code == 200
    stored = response.json()["stored_listing_id"]
    detail = service.client.get(f"/v1/listings/{stored}", headers=service.keys.header("reviewer")).json()
    assert detail["snapshots"][0]["listing"]["description"] == description


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer soi_not-a-key"}, 401),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        ({"Authorization": "Bearer "}, 401),
    ],
)
def test_missing_or_wrong_key_is_401(service: Service, headers: dict, status: int) -> None:
    response = service.client.post("/v1/score", json=CLEAN, headers=headers)
    assert response.status_code == status
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path", "role", "allowed"),
    [
        ("post", "/v1/score", "crawler", True),
        ("post", "/v1/score", "reviewer", False),
        ("post", "/v1/score", "admin", True),
        ("get", "/v1/queue", "crawler", False),
        ("get", "/v1/queue", "reviewer", True),
        ("get", "/v1/reviews/export", "crawler", False),
        ("get", "/v1/admin/keys", "reviewer", False),
        ("get", "/v1/admin/keys", "crawler", False),
        ("get", "/v1/admin/keys", "admin", True),
        ("post", "/v1/admin/reload", "reviewer", False),
    ],
)
def test_roles(service: Service, method: str, path: str, role: str, allowed: bool) -> None:
    kwargs = {"json": CLEAN} if method == "post" and path == "/v1/score" else {}
    response = getattr(service.client, method)(path, headers=service.keys.header(role), **kwargs)
    assert (response.status_code == 403) is (not allowed), response.text
    if allowed:
        assert response.status_code < 300


def test_admin_creates_and_revokes_keys(service: Service) -> None:
    admin = service.keys.header("admin")
    created = service.client.post("/v1/admin/keys", json={"role": "crawler", "name": "crawler-hn"}, headers=admin)
    assert created.status_code == 201
    key = created.json()["key"]
    listed = service.client.get("/v1/admin/keys", headers=admin).json()
    assert all("key" not in row for row in listed) and not any(key in str(row) for row in listed)
    assert service.client.post("/v1/score", json=CLEAN, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    revoked = service.client.delete(f"/v1/admin/keys/{created.json()['key_id']}", headers=admin)
    assert revoked.status_code == 204
    assert service.client.post("/v1/score", json=CLEAN, headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert service.client.delete("/v1/admin/keys/999999", headers=admin).status_code == 404
    bad_role = service.client.post("/v1/admin/keys", json={"role": "god", "name": "x"}, headers=admin)
    assert bad_role.status_code == 422 and "role" in _fields(bad_role)


def test_openapi_documents_every_listing_field(service: Service) -> None:
    schema = service.client.get("/openapi.json").json()
    listing = schema["components"]["schemas"]["Listing"]["properties"]
    for name in ("title", "price", "seller", "ships_from", "labels"):
        assert listing[name].get("description"), name
    assert listing["title"]["maxLength"] == 1000
    assert service.client.get("/docs").status_code == 200


def test_without_a_model_scoring_is_503_and_health_says_so(tmp_path: Path) -> None:
    settings = get_settings(model_path=str(tmp_path), database_url=f"sqlite:///{tmp_path / 'x.db'}", auth_disabled=True)
    with TestClient(create_app(settings)) as no_model:
        assert no_model.get("/healthz").json()["model_loaded"] is False
        assert no_model.get("/readyz").status_code == 503
        response = no_model.post("/v1/score", json=CLEAN)
        assert response.status_code == 503 and "make train" in response.json()["detail"]
        assert response.headers["retry-after"]


def test_development_mode_needs_no_key_and_says_so_loudly(trained: TrainResult, tmp_path: Path, caplog) -> None:
    settings = get_settings(
        model_path=str(trained.model_dir.parent), database_url=f"sqlite:///{tmp_path / 'dev.db'}", auth_disabled=True
    )
    with TestClient(create_app(settings)) as dev:
        assert dev.post("/v1/score", json=CLEAN).status_code == 200
        assert dev.get("/v1/admin/keys").status_code == 200
    assert any(r.levelname == "WARNING" and "AUTHENTICATION IS DISABLED" in r.getMessage() for r in caplog.records)


def test_auth_is_on_by_default() -> None:
    assert get_settings().auth_disabled is False


CONTRACT_DIR = Path(__file__).resolve().parents[3] / "shared" / "contract"


@pytest.mark.skipif(not CONTRACT_DIR.is_dir(), reason="../shared/contract is not present beside the project")
def test_stored_scores_follow_the_shared_score_contract(service: Service) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    contract = json.loads((CONTRACT_DIR / "score.schema.json").read_text(encoding="utf-8"))
    headers = service.keys.header("crawler")
    jsonschema.validate(service.client.post("/v1/score", json=RISKY, headers=headers).json(), contract)
    batch = service.client.post("/v1/score/batch", json={"listings": [RISKY, CLEAN]}, headers=headers).json()
    for result in batch["results"]:
        jsonschema.validate(result, contract)
