"""Cases through the API: linking at ingest, the case list and page, identifier search, deletions, a case review,
roles, and bad input (404, 422), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest

from serving.evidence_verify import verify_bundle
from serving.storage.cases import reviewed_deletions
from tests.serving.conftest import Service

OPERATOR = [
    {
        "id": "fb-1",
        "platform": "facebook",
        "title": "Bình khí cười 8L giao nhanh nội thành",
        "description": "Liên hệ 0912 345 678 hoặc zalo: bongcuoi_hn",
        "seller": {"id": "page-a"},
    },
    {
        "id": "zl-1",
        "platform": "zalo",
        "title": "Bóng cười giá sỉ, ship hỏa tốc",
        "description": "gọi không chín một hai ba bốn năm sáu bảy tám",
        "seller": {"id": "0987000111"},
    },
    {
        "id": "tt-1",
        "platform": "tiktok",
        "title": "Khí cười bình 8 lít LH 0912.345",
        "description": "678, stk 0123 4567 8910 vcb",
        "seller": {"id": "tt-shop"},
    },
]
OTHER = {"id": "sp-9", "platform": "shopee", "title": "Áo thun nam cổ tròn", "description": "Cotton 100%, đủ size"}


def _score(service: Service, listings: list[dict]) -> list[int]:
    answer = service.client.post("/v1/score/batch", json={"listings": listings}, headers=service.keys.header("crawler"))
    assert answer.status_code == 200, answer.text
    return [result["stored_listing_id"] for result in answer.json()["results"]]


@pytest.fixture(scope="module")
def linked(service: Service) -> dict:
    ids = _score(service, OPERATOR[:2]) + _score(service, [OPERATOR[2], OTHER])
    return {"operator": ids[:3], "other": ids[3]}


def test_listings_sharing_a_phone_written_three_ways_form_one_case(service: Service, linked: dict) -> None:
    page = service.client.get("/v1/cases", headers=service.keys.header("reviewer")).json()
    cases = [item for item in page["items"] if set(linked["operator"]) & set(_case_listing_ids(service, item))]
    assert len(cases) == 1
    case = cases[0]
    assert case["listing_count"] == 3 and set(case["platforms"]) == {"facebook", "zalo", "tiktok"}
    detail = service.client.get(f"/v1/cases/{case['case_id']}", headers=service.keys.header("reviewer")).json()
    assert sorted(item["listing_id"] for item in detail["listings"]) == sorted(linked["operator"])
    phones = [i for i in detail["identifiers"] if i["kind"] == "phone"]
    assert phones[0]["value"] == "+84912345678" and phones[0]["shared"] and len(phones[0]["listing_ids"]) == 3
    assert linked["other"] not in [item["listing_id"] for item in detail["listings"]]
    assert {event["event"] for event in detail["timeline"]} >= {"first_seen"}


def _case_listing_ids(service: Service, item: dict) -> list[int]:
    detail = service.client.get(f"/v1/cases/{item['case_id']}", headers=service.keys.header("reviewer")).json()
    return [listing["listing_id"] for listing in detail["listings"]]


def test_identifier_search_and_bad_identifiers(service: Service, linked: dict) -> None:
    headers = service.keys.header("reviewer")
    found = service.client.get("/v1/identifiers/phone/0912.345.678/listings", headers=headers)
    assert found.status_code == 200
    assert sorted(item["listing_id"] for item in found.json()["listings"]) == sorted(linked["operator"])
    assert service.client.get("/v1/identifiers/phone/0933333333/listings", headers=headers).status_code == 404
    malformed = service.client.get("/v1/identifiers/phone/12ab/listings", headers=headers)
    assert malformed.status_code == 422 and "12ab" not in malformed.text
    assert service.client.get("/v1/identifiers/nonsense/x/listings", headers=headers).status_code == 422
    assert service.client.get("/v1/cases/999999999", headers=headers).status_code == 404


def test_crawler_sees_no_identifiers_and_cannot_search(service: Service, linked: dict) -> None:
    crawler = service.keys.header("crawler")
    case_id = service.client.get("/v1/cases", headers=crawler).json()["items"][0]["case_id"]
    detail = service.client.get(f"/v1/cases/{case_id}", headers=crawler)
    assert detail.status_code == 200 and detail.json()["identifiers"] is None
    # the listings' own text is the crawler's; what Soi read out of it (the identifier index) is not shown
    assert "+84912345678" not in detail.text and "bongcuoi" not in detail.text
    assert service.client.get("/v1/identifiers/phone/0912345678/listings", headers=crawler).status_code == 403
    assert service.client.get(f"/v1/cases/{case_id}/evidence", headers=crawler).status_code == 403


def test_deletion_is_recorded_and_counted(service: Service, linked: dict) -> None:
    body = {"listings": [{"platform": "facebook", "id": "fb-1"}, {"platform": "shopee", "id": "never-seen"}]}
    answer = service.client.post("/v1/listings/gone", json=body, headers=service.keys.header("crawler"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["listing_ids"][1] is None and answer.json()["recorded"] == 1
    again = service.client.post("/v1/listings/gone", json=body, headers=service.keys.header("crawler"))
    assert again.json()["recorded"] == 0
    case_id = service.client.get("/v1/cases?platform=facebook", headers=service.keys.header("reviewer")).json()
    detail = service.client.get(f"/v1/cases/{case_id['items'][0]['case_id']}", headers=service.keys.header("reviewer"))
    body = detail.json()
    assert body["deleted_count"] == 1 and body["deleted_within_48h"] == 1
    assert body["deletion_summary"].startswith("1 trên 3 tin bị xóa trong vòng 48 giờ")
    assert [item["deleted_at"] is not None for item in body["listings"]].count(True) == 1


def test_case_review_adds_ordinary_reviews_naming_the_case(service: Service, linked: dict) -> None:
    headers = service.keys.header("reviewer")
    case_id = service.client.get("/v1/cases", headers=headers).json()["items"][0]["case_id"]
    answer = service.client.post(
        f"/v1/cases/{case_id}/reviews", json={"labels": ["prohibited"], "note": "cùng một người bán"}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    assert sorted(answer.json()["listing_ids"]) == sorted(linked["operator"])
    exported = [
        json.loads(line) for line in service.client.get("/v1/reviews/export", headers=headers).text.splitlines()
    ]
    mine = [line for line in exported if line["soi_listing_id"] in linked["operator"]]
    assert len(mine) == 3 and all(line["labels"] == ["prohibited"] for line in mine)
    history = service.client.get(f"/v1/listings/{linked['operator'][0]}", headers=headers).json()["reviews"]
    assert history[-1]["note"] == f"[vụ việc {case_id}] cùng một người bán"
    with service.db.read() as session:  # what deciding whether deletion speed should feed the model reads
        counts = reviewed_deletions(session)
    assert counts["fast"] == [1, 0] and counts["other"][0] >= 2
    bad = service.client.post(f"/v1/cases/{case_id}/reviews", json={"labels": ["nope"]}, headers=headers)
    assert bad.status_code == 422
    assert service.client.post("/v1/cases/999999999/reviews", json={"labels": []}, headers=headers).status_code == 404


def test_evidence_bundle_is_signed_reproducible_and_complete(service: Service, linked: dict) -> None:
    headers = service.keys.header("reviewer")
    case_id = service.client.get("/v1/cases", headers=headers).json()["items"][0]["case_id"]
    first = service.client.get(f"/v1/cases/{case_id}/evidence", headers=headers)
    second = service.client.get(f"/v1/cases/{case_id}/evidence", headers=headers)
    assert first.status_code == 200 and first.headers["content-type"] == "application/zip"
    assert first.content == second.content
    assert verify_bundle(first.content).ok
    names = zipfile.ZipFile(io.BytesIO(first.content)).namelist()
    assert names == sorted(names)
    assert (
        sum(name.endswith(".html") for name in names)
        == sum(name.endswith(".json") and "snapshot-" in name for name in names)
        >= 3
    )


def test_identifiers_never_reach_the_logs(service: Service, linked: dict, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        service.client.get("/v1/identifiers/phone/0912345678/listings", headers=service.keys.header("reviewer"))
        service.client.get("/v1/identifiers/phone/09x/listings", headers=service.keys.header("reviewer"))
        _score(service, [{"id": "log-1", "title": "LH 0966 555 444", "platform": "facebook"}])
    server = [record for record in caplog.records if not record.name.startswith("httpx")]  # the test's own client
    logged = "\n".join(record.getMessage() + json.dumps(record.__dict__, default=str) for record in server)
    assert "0912345678" not in logged and "+84912345678" not in logged and "0966" not in logged
