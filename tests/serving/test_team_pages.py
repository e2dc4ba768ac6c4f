"""The review page's team side without a browser: blind second review, dispute, undo, the leads' page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from serving.storage.api_keys import create_api_key
from serving.storage.models import utc_now
from tests.conftest import TINY_ITEMS
from tests.serving.conftest import Service, make_database_url, start_service
from training.train import TrainResult

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture(scope="module")
def site(trained: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, list[int], str]]:
    """SQLite, every first review checked by a second reviewer; a second reviewer key 'b'."""
    url = make_database_url("sqlite", tmp_path_factory.mktemp("db"))
    for service in start_service(trained, url, "sqlite", auth_cache_s=0, second_review_share=1.0):
        listings = [
            {"id": f"g-{i}", "platform": "zalo", "title": title} for i, (title, _) in enumerate(TINY_ITEMS[:10])
        ]
        answer = service.client.post(
            "/v1/score/batch", json={"listings": listings}, headers=service.keys.header("crawler")
        )
        with service.db.write() as session:
            key_b = create_api_key(session, role="reviewer", name="b", now=utc_now())[1]
        yield service, [r["stored_listing_id"] for r in answer.json()["results"]], key_b


def _sign_in(service: Service, key: str) -> None:
    service.client.cookies.clear()
    answer = service.client.post("/review/signin", data={"key": key}, headers=ORIGIN, follow_redirects=False)
    assert answer.status_code == 303


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _review(service: Service, listing_id: int, labels: list[str]) -> str:
    page = service.client.get(f"/review/listings/{listing_id}").text
    saved = service.client.post(
        f"/review/listings/{listing_id}/reviews", data={"csrf": _csrf(page), "label": labels}, headers=ORIGIN
    )
    assert saved.status_code == 200, saved.text
    return saved.text


def test_the_second_reviewer_sees_no_first_labels_and_a_dispute_waits_for_a_lead(site) -> None:
    service, ids, key_b = site
    _sign_in(service, service.keys.reviewer)
    _review(service, ids[0], ["counterfeit"])
    _sign_in(service, key_b)
    queue = service.client.get("/review/queue").text
    assert f'data-listing-id="{ids[0]}"' in queue and "Kiểm tra chéo" in queue
    blind = service.client.get(f"/review/listings/{ids[0]}").text
    assert 'id="kiem-tra-cheo"' in blind and "data-history>" not in blind and "test-reviewer" not in blind
    _review(service, ids[0], ["smuggled"])  # disagrees: a dispute
    _sign_in(service, service.keys.reviewer)
    disputed = service.client.get(f"/review/listings/{ids[0]}").text
    assert 'id="tranh-chap"' in disputed and 'id="review-form"' in disputed  # a party may correct their part
    _sign_in(service, service.keys.lead)
    assert "Tranh chấp" in service.client.get("/review/queue").text
    decided = _review(service, ids[0], ["smuggled"])
    assert "quyết định của trưởng nhóm" in decided


def test_undo_from_the_page(site) -> None:
    service, ids, _key_b = site
    _sign_in(service, service.keys.reviewer)
    saved = _review(service, ids[1], [])
    form = re.search(r'action="(/review/reviews/(\d+)/retract)"', saved)
    assert form is not None and 'id="undo-form"' in saved
    undone = service.client.post(form.group(1), data={"csrf": _csrf(saved)}, headers=ORIGIN)
    assert undone.status_code == 200 and 'id="da-hoan-tac"' in undone.text and "đã rút lại" in undone.text
    assert f'data-listing-id="{ids[1]}"' in service.client.get("/review/queue").text  # back in the queue
    again = service.client.post(form.group(1), data={"csrf": _csrf(saved)}, headers=ORIGIN)
    assert again.status_code == 409 and "Không hoàn tác được" in again.text
    forged = service.client.post(form.group(1), data={"csrf": "x"}, headers=ORIGIN)
    assert forged.status_code == 403


def test_the_leads_page_shows_reviewers_and_clears_one(site) -> None:
    service, ids, _key_b = site
    _sign_in(service, service.keys.reviewer)
    assert service.client.get("/review/team").status_code == 403
    assert "Nhóm duyệt" not in service.client.get("/review/queue").text
    _sign_in(service, service.keys.lead)
    page = service.client.get("/review/team")
    assert page.status_code == 200 and 'data-reviewer="test-reviewer"' in page.text and 'data-reviewer="b"' in page.text
    csrf = _csrf(service.client.get(f"/review/listings/{ids[5]}").text)  # the clear form shows for excluded only
    cleared = service.client.post(
        "/review/team/clear", data={"csrf": csrf, "reviewer": "b", "note": "ok"}, headers=ORIGIN
    )
    assert cleared.status_code == 200 and "Đã cho phép lại b" in cleared.text and "đo lại từ" in cleared.text
    unknown = service.client.post("/review/team/clear", data={"csrf": csrf, "reviewer": "nobody"}, headers=ORIGIN)
    assert unknown.status_code == 404


def test_the_page_keeps_its_claim_while_the_reviewer_stays(site) -> None:
    service, ids, key_b = site
    _sign_in(service, service.keys.reviewer)
    page = service.client.get(f"/review/listings/{ids[6]}").text  # opening it claims it
    assert 'id="renew-form"' in page and 'data-renew-s="300"' in page
    assert (
        service.client.post(f"/review/listings/{ids[6]}/claim", data={"csrf": _csrf(page)}, headers=ORIGIN).status_code
        == 204
    )
    _sign_in(service, key_b)
    other = service.client.get(f"/review/listings/{ids[6]}").text
    assert "đang do <strong>test-reviewer</strong> duyệt" in other and 'id="renew-form"' not in other
    lost = service.client.post(f"/review/listings/{ids[6]}/claim", data={"csrf": _csrf(other)}, headers=ORIGIN)
    assert lost.status_code == 409
