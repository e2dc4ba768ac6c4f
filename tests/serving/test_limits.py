"""The settings' size limits on requests (``serving.limits``): the routers are built once, yet each app holds
bodies and page sizes to its own limits, answers a body beyond them with pydantic's own 422, asks for a key
before it says anything about a body, and documents its limits in its OpenAPI schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from model.schema import Listing
from serving.app import create_app
from serving.limits import RequestModels
from serving.schemas import BatchRequest, make_batch_model
from serving.settings import Settings, get_settings
from tests.serving.conftest import Service

LISTING = {"title": "Áo thun nam cotton basic cổ tròn", "platform": "shopee"}


def _settings(tmp_path: Path, **limits: int) -> Settings:
    return get_settings(
        database_url=f"sqlite:///{tmp_path / 'limits.db'}",
        session_secret="s",
        identifier_key="i",
        evidence_key="e",
        **limits,
    )


def test_a_batch_over_the_apps_limit_gets_pydantics_error(service: Service) -> None:
    # the service fixture allows 5 listings a batch; the routers themselves know no such limit
    response = service.client.post(
        "/v1/score/batch", json={"listings": [LISTING] * 6}, headers=service.keys.header("crawler")
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "field": "listings",
            "loc": ["body", "listings"],
            "msg": "List should have at most 5 items after validation, not 6",
            "type": "too_long",
        }
    ]
    five = service.client.post(
        "/v1/score/batch?dry_run=true", json={"listings": [LISTING] * 5}, headers=service.keys.header("crawler")
    )
    assert five.status_code == 200 and len(five.json()["results"]) == 5


def test_a_title_over_the_limit_names_its_field(service: Service) -> None:
    crawler = service.keys.header("crawler")
    response = service.client.post("/v1/score", json={**LISTING, "title": "x" * 1001}, headers=crawler)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "field": "title",
            "loc": ["body", "title"],
            "msg": "String should have at most 1000 characters",
            "type": "string_too_long",
        }
    ]
    batch = service.client.post("/v1/score/batch", json={"listings": [LISTING, {"title": "x" * 1001}]}, headers=crawler)
    assert [d["loc"] for d in batch.json()["detail"]] == [["body", "listings", "1", "title"]]
    at_limit = service.client.post("/v1/score?dry_run=true", json={**LISTING, "title": "x" * 1000}, headers=crawler)
    assert at_limit.status_code == 200


def test_page_sizes_and_notes_are_held_to_the_limits(service: Service) -> None:
    reviewer = service.keys.header("reviewer")
    for path in ("/v1/queue?limit=201", "/v1/cases?limit=201", "/v1/queue/claim?n=201"):
        method = service.client.post if path.startswith("/v1/queue/claim") else service.client.get
        response = method(path, headers=reviewer)
        assert response.status_code == 422, path
        [detail] = response.json()["detail"]
        assert detail["msg"] == "Input should be less than or equal to 200" and detail["type"] == "less_than_equal"
    assert service.client.get("/v1/queue?limit=200", headers=reviewer).status_code == 200
    review = {"labels": [], "note": "n" * 4001}
    response = service.client.post("/v1/listings/1/reviews", json=review, headers=reviewer)
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "note"


def test_a_caller_without_a_key_learns_nothing_of_the_limits(service: Service) -> None:
    response = service.client.post("/v1/score/batch", json={"listings": [LISTING] * 6})
    assert response.status_code == 401
    assert service.client.get("/v1/queue?limit=100000").status_code == 401
    wrong_role = service.client.post("/v1/score", json={"title": "x" * 1001}, headers=service.keys.header("reviewer"))
    assert wrong_role.status_code == 403


@pytest.mark.parametrize("limits", [{}, {"max_title_chars": 99, "max_batch_listings": 3, "queue_max_page": 30}])
def test_each_app_documents_its_own_limits(tmp_path: Path, limits: dict[str, int]) -> None:
    settings = _settings(tmp_path, **limits)
    schema = create_app(settings).openapi()
    components = schema["components"]["schemas"]
    assert components["Listing"]["properties"]["title"]["maxLength"] == settings.max_title_chars
    assert components["BatchRequest"]["properties"]["listings"]["maxItems"] == settings.max_batch_listings
    assert components["ReviewIn"]["properties"]["note"]["anyOf"][0]["maxLength"] == settings.max_note_chars
    [limit] = [p for p in schema["paths"]["/v1/queue"]["get"]["parameters"] if p["name"] == "limit"]
    assert limit["schema"]["maximum"] == settings.queue_max_page and "x-soi-page-size" not in limit["schema"]


def test_request_models_carry_the_settings_limits(tmp_path: Path) -> None:
    models = RequestModels.for_settings(_settings(tmp_path, max_title_chars=5, max_note_chars=3))
    assert models.listing.model_validate({"title": "12345"}).title == "12345"
    assert not models.listing_fits(models.listing.model_validate({"title": "12345"}), {"title": "123456"})
    with pytest.raises(ValueError, match="at most 3"):
        models.review.model_validate({"labels": [], "note": "abcd"})
    assert models.case_review.model_validate({"labels": [], "note": "abc", "listing_ids": [1]}).listing_ids == [1]


def test_batch_model_enforces_its_limit() -> None:
    batch = make_batch_model(Listing, 2)
    assert len(batch.model_validate({"listings": [{"title": "a"}, {"title": "b"}]}).listings) == 2
    with pytest.raises(ValidationError):
        batch.model_validate({"listings": [{"title": "a"}] * 3})
    with pytest.raises(ValidationError):
        batch.model_validate({"listings": []})
    assert len(BatchRequest.model_validate({"listings": [{"title": "a"}] * 300}).listings) == 300  # no limit of its own
