"""The review page's case views without a browser: the case queue, a case page (grouped listings, shared
identifiers, duplicates, deletions, timeline), the case review form with its CSRF check, the evidence download,
and the link from a listing to its case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from serving.evidence_verify import verify_bundle
from tests.serving.conftest import Service, make_database_url, start_service
from training.train import TrainResult

POSTS = [
    {"id": "p1", "platform": "facebook", "title": "Bóng cười giao nhanh", "description": "Gọi 0912 345 678",
     "seller": {"id": "page-1"}},
    {"id": "p2", "platform": "zalo", "title": "Bình khí cười <b>8L</b>", "description": "zalo 0912.345.678",
     "seller": {"id": "z-1"}},
]  # fmt: skip


@pytest.fixture(scope="module")
def site(trained: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = make_database_url("sqlite", tmp_path_factory.mktemp("case-pages"))
    for service in start_service(trained, url, "sqlite", auth_cache_s=0):
        ids = [
            r["stored_listing_id"]
            for r in service.client.post(
                "/v1/score/batch", json={"listings": POSTS}, headers=service.keys.header("crawler")
            ).json()["results"]
        ]
        service.client.post(
            "/v1/listings/gone",
            json={"listings": [{"platform": "zalo", "id": "p2"}]},
            headers=service.keys.header("crawler"),
        )
        signed_in = service.client.post(
            "/review/signin", data={"key": service.keys.reviewer}, headers={"origin": "http://testserver"},
            follow_redirects=False,
        )  # fmt: skip
        assert signed_in.status_code == 303
        service.client.ids = ids  # type: ignore[attr-defined]
        yield service


def test_case_queue_and_page(site: Service) -> None:
    queue = site.client.get("/review/cases")
    assert queue.status_code == 200 and "Vụ việc số" in queue.text
    case_link = queue.text.split('href="/review/cases/')[1].split('"')[0]
    page = site.client.get(f"/review/cases/{case_link}")
    assert page.status_code == 200
    assert "data-shared-identifier" in page.text and "+84912345678" in page.text
    assert "data-deleted" in page.text and "1 trên 2 tin bị xóa trong vòng 48 giờ" in page.text
    assert "&lt;b&gt;8L&lt;/b&gt;" in page.text  # listing text is escaped
    assert page.text.index("<h3>facebook</h3>") < page.text.index("<h3>zalo</h3>")
    listing = site.client.get(f"/review/listings/{site.client.ids[0]}")  # type: ignore[attr-defined]
    assert f'href="/review/cases/{case_link}"' in listing.text


def test_case_review_form_and_evidence(site: Service) -> None:
    case_id = site.client.get("/review/cases").text.split('href="/review/cases/')[1].split('"')[0]
    page = site.client.get(f"/review/cases/{case_id}").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    refused = site.client.post(f"/review/cases/{case_id}/reviews", data={"csrf": "x", "label": "prohibited"},
                               headers={"origin": "http://testserver"})  # fmt: skip
    assert refused.status_code == 403
    saved = site.client.post(
        f"/review/cases/{case_id}/reviews", data={"csrf": token, "label": "prohibited", "note": "cùng số"},
        headers={"origin": "http://testserver"}, follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=2")
    assert "Đã lưu đánh giá cho 2 tin" in site.client.get(saved.headers["location"]).text
    bundle = site.client.get(f"/review/cases/{case_id}/evidence")
    assert bundle.status_code == 200 and verify_bundle(bundle.content).ok
    assert site.client.get("/review/cases/987654321").status_code == 404
