"""The review page on the server side (no browser): sign-in, the session cookie, CSRF, filters, escaping,
highlighting and a review submitted through the form."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from model.labels import review_labels
from serving.storage.api_keys import create_api_key, revoke_api_key
from serving.storage.models import utc_now
from serving.ui.format import format_percent, format_price_vnd, highlight
from serving.ui.session import COOKIE_NAME
from tests.conftest import TINY_ITEMS
from tests.serving.conftest import Service, make_database_url, start_service
from training.train import TrainResult

ORIGIN = {"Origin": "http://testserver"}
EVIL = "<script>alert('soi')</script>"


@pytest.fixture(scope="module")
def site(trained: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service (SQLite) with the tiny items scored on three platforms, plus one listing carrying markup."""
    url = make_database_url("sqlite", tmp_path_factory.mktemp("db"))
    for service in start_service(trained, url, "sqlite", auth_cache_s=0):
        listings = [
            {"id": f"p-{i}", "platform": ("shopee", "facebook", "zalo")[i % 3], "title": title, "price": 1_500_000}
            for i, (title, _labels) in enumerate(TINY_ITEMS)
        ]
        listings.append(
            {
                "id": "evil",
                "platform": "website",
                "title": f"Túi LV rep 1:1 {EVIL}",
                "description": f"hàng fake {EVIL} <b>đẹp</b>",
                "url": "javascript:alert(1)",
            }
        )
        service.score_batches(listings, batch=20)
        yield service


def sign_in(service: Service, key: str | None = None) -> None:
    """Sign the test client in with the reviewer key (or ``key``)."""
    response = service.client.post(
        "/review/signin", data={"key": key or service.keys.reviewer}, headers=ORIGIN, follow_redirects=False
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def signed_in(site: Service) -> Iterator[Service]:
    """The site with the reviewer signed in; signed out again afterwards."""
    site.client.cookies.clear()
    sign_in(site)
    yield site
    site.client.cookies.clear()


def _queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-listing-id="(\d+)"', html)]


def _api_queue(service: Service, **params: object) -> list[dict]:
    response = service.client.get("/v1/queue", params={"limit": 50, **params}, headers=service.keys.header("reviewer"))
    assert response.status_code == 200
    return response.json()["items"]


def test_pages_need_a_sign_in(site: Service) -> None:
    site.client.cookies.clear()
    response = site.client.get("/review/queue?platform=zalo", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/review/signin?next=")
    page = site.client.get(response.headers["location"])
    assert page.status_code == 200 and '<html lang="vi">' in page.text
    assert 'for="key"' in page.text and "Đăng nhập" in page.text


def test_wrong_key_is_refused_in_vietnamese(site: Service) -> None:
    site.client.cookies.clear()
    response = site.client.post("/review/signin", data={"key": "soi_not-a-key"}, headers=ORIGIN)
    assert response.status_code == 401
    assert "Khóa không đúng hoặc đã bị thu hồi" in response.text
    assert COOKIE_NAME not in response.cookies
    crawler = site.client.post("/review/signin", data={"key": site.keys.crawler}, headers=ORIGIN)
    assert crawler.status_code == 401 and "không có quyền duyệt tin" in crawler.text


def test_session_cookie_is_httponly_strict_and_not_the_key(site: Service) -> None:
    site.client.cookies.clear()
    response = site.client.post(
        "/review/signin",
        data={"key": site.keys.reviewer, "next": "/review/queue?label=smuggled"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/review/queue?label=smuggled"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Path=/review" in cookie
    assert site.keys.reviewer not in cookie
    # the JSON API's bearer auth is unchanged, and the cookie is no API key
    assert site.client.get("/v1/queue").status_code == 401
    site.client.cookies.clear()


def test_sign_in_refuses_other_origins_and_foreign_next(site: Service) -> None:
    site.client.cookies.clear()
    for headers in ({}, {"Origin": "https://evil.example"}, {"Origin": "null"}):
        response = site.client.post("/review/signin", data={"key": site.keys.reviewer}, headers=headers)
        assert response.status_code == 403 and "bị từ chối" in response.text
    response = site.client.post(
        "/review/signin",
        data={"key": site.keys.reviewer, "next": "//evil.example/x"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert response.headers["location"] == "/review/queue"
    site.client.cookies.clear()


def test_queue_is_in_risk_order_like_the_api(signed_in: Service) -> None:
    page = signed_in.client.get("/review/queue")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers and "script-src 'self'" in page.headers["Content-Security-Policy"]
    ids = _queue_ids(page.text)
    assert ids == [item["listing_id"] for item in _api_queue(signed_in)]
    assert len(ids) == len(TINY_ITEMS) + 1


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"platform": "zalo"}, lambda item: item["platform"] == "zalo"),
        ({"priority": "high"}, lambda item: item["priority"] == "high"),
        ({"label": "prohibited"}, lambda item: "prohibited" in item["flagged"]),
    ],
)
def test_queue_filters_match_the_api(signed_in: Service, params: dict, check) -> None:
    ids = _queue_ids(signed_in.client.get("/review/queue", params=params).text)
    api = _api_queue(signed_in, **params)
    assert ids == [item["listing_id"] for item in api]
    assert all(check(item) for item in api)
    assert len(api) < len(TINY_ITEMS) + 1  # the filter filtered something


def test_date_filters_are_whole_vietnamese_days(signed_in: Service) -> None:
    today = utc_now().date().isoformat()
    assert _queue_ids(signed_in.client.get("/review/queue", params={"since": "2000-01-01"}).text)
    assert _queue_ids(signed_in.client.get("/review/queue", params={"until": "2000-01-01"}).text) == []
    bad = signed_in.client.get("/review/queue", params={"since": "hôm qua", "label": "nope", "priority": "x"})
    assert bad.status_code == 200 and "Ngày từ không hợp lệ" in bad.text and "Nhãn không có trong danh mục" in bad.text
    assert len(_queue_ids(bad.text)) == len(TINY_ITEMS) + 1
    assert f'value="{today}"' in signed_in.client.get("/review/queue", params={"until": today}).text


def _listing_id(service: Service, external_id: str) -> int:
    item = next(i for i in _api_queue(service) if i["external_id"] == external_id)
    return item["listing_id"]


def test_listing_text_is_escaped_and_the_url_is_not_a_link(signed_in: Service) -> None:
    page = signed_in.client.get(f"/review/listings/{_listing_id(signed_in, 'evil')}")
    assert page.status_code == 200
    assert EVIL not in page.text and "<b>đẹp</b>" not in page.text
    assert "&lt;script&gt;alert(&#39;soi&#39;)&lt;/script&gt;" in page.text
    assert 'href="javascript:' not in page.text and "javascript:alert(1)" in page.text


def test_listing_page_shows_the_score_and_highlights_the_reasons(signed_in: Service) -> None:
    listing_id = _listing_id(signed_in, "p-0")  # "Túi xách LV Neverfull rep 1:1 siêu cấp like auth"
    detail = signed_in.client.get(f"/v1/listings/{listing_id}", headers=signed_in.keys.header("reviewer")).json()
    score = detail["scores"][-1]
    page = signed_in.client.get(f"/review/listings/{listing_id}").text
    terms = [r["evidence"] for r in score["reasons"] if r["kind"] == "term"]
    assert terms, "the tiny model should explain this listing with matched terms"
    title = re.search(r'<h1 id="tieu-de"[^>]*>(.*?)</h1>', page, re.S).group(1)
    marked = " | ".join(re.findall(r"<mark>(.*?)</mark>", title)).lower()
    assert all(term.lower() in marked for term in terms)
    assert "1.500.000 ₫" in page
    for name, info in review_labels().items():
        assert f'<label for="nhan-{name}">' in page and info.short_vi in page
        assert format_percent(score["probabilities"][name]) in page
        # the model's flagged labels come ticked, so confirming is one key press
        box = re.search(rf'<input type="checkbox" id="nhan-{name}"[^>]*>', page).group(0)
        assert ("checked" in box) == (name in score["flagged"])
    assert "Chưa có đánh giá nào" in page


def test_review_through_the_form(signed_in: Service) -> None:
    listing_id = _listing_id(signed_in, "p-5")
    page = signed_in.client.get(f"/review/listings/{listing_id}?platform=zalo").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    action = re.search(r'id="review-form"', page) and re.search(r'action="([^"]+)" id="review-form"', page).group(1)
    assert action == f"/review/listings/{listing_id}/reviews?platform=zalo"

    form = {"csrf": csrf, "label": ["smuggled", "counterfeit"], "note": "Thuốc lá <không tem>"}
    for headers, data in (({}, form), ({"Origin": "http://evil.example"}, form), (ORIGIN, {**form, "csrf": "x"})):
        refused = signed_in.client.post(action, data=data, headers=headers, follow_redirects=False)
        assert refused.status_code == 403
    flood = signed_in.client.post(
        action, content="&".join(["a=1"] * 100), headers={**ORIGIN, "content-type": "application/x-www-form-urlencoded"}
    )
    assert flood.status_code == 403
    bad = signed_in.client.post(action, data={**form, "label": ["bogus"]}, headers=ORIGIN, follow_redirects=False)
    assert bad.status_code == 422 and "Chưa lưu" in bad.text
    reviews = signed_in.client.get(f"/v1/listings/{listing_id}", headers=signed_in.keys.header("reviewer"))
    assert reviews.json()["reviews"] == []

    done = signed_in.client.post(action, data=form, headers=ORIGIN, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/review/listings/{listing_id}?platform=zalo&saved=1#lich-su"
    after = signed_in.client.get(done.headers["location"]).text
    assert "Đã lưu đánh giá" in after and "Thuốc lá &lt;không tem&gt;" in after and "test-reviewer" in after
    stored = signed_in.client.get(f"/v1/listings/{listing_id}", headers=signed_in.keys.header("reviewer")).json()
    assert stored["labels"] == ["smuggled", "counterfeit"] and stored["reviews"][0]["reviewer"] == "test-reviewer"
    # the reviewed listing has left the queue, and the review's labels are now the ticked ones
    assert listing_id not in _queue_ids(signed_in.client.get("/review/queue").text)
    assert re.search(r'id="nhan-smuggled"[^>]*checked', after)


def test_next_claims_the_following_listing_and_previous_follows_the_queue(signed_in: Service) -> None:
    ids = [item["listing_id"] for item in _api_queue(signed_in, platform="shopee")]
    assert len(ids) >= 3
    page = signed_in.client.get(f"/review/listings/{ids[1]}?platform=shopee").text
    assert f'href="/review/listings/{ids[0]}?platform=shopee" data-nav="previous"' in page
    assert 'action="/review/next?platform=shopee"' in page and f'name="after" value="{ids[1]}"' in page
    # opening a listing claims it: another reviewer's queue skips it
    lead_queue = signed_in.client.get("/v1/queue", params={"platform": "shopee"}, headers=signed_in.keys.header("lead"))
    assert ids[1] not in [item["listing_id"] for item in lead_queue.json()["items"]]
    # J (the "next" form) claims the listing below in the filtered queue, lets go of this one, and opens the next
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    moved = signed_in.client.post(
        "/review/next?platform=shopee", data={"csrf": csrf, "after": ids[1]}, headers=ORIGIN, follow_redirects=False
    )
    assert moved.status_code == 303 and moved.headers["location"] == f"/review/listings/{ids[2]}?platform=shopee"
    lead_queue = signed_in.client.get("/v1/queue", params={"platform": "shopee"}, headers=signed_in.keys.header("lead"))
    lead_ids = [item["listing_id"] for item in lead_queue.json()["items"]]
    assert ids[1] in lead_ids and ids[2] not in lead_ids
    refused = signed_in.client.post("/review/next", data={"csrf": "x", "after": ids[1]}, headers=ORIGIN)
    assert refused.status_code == 403
    first = signed_in.client.get(f"/review/listings/{ids[0]}?platform=shopee").text
    assert 'data-nav="previous"' not in first


def test_revoked_key_and_sign_out_end_the_session(site: Service) -> None:
    site.client.cookies.clear()
    with site.db.write() as session:
        _row, key = create_api_key(session, role="reviewer", name="short-lived", now=utc_now())
    sign_in(site, key)
    assert site.client.get("/review/queue").status_code == 200
    with site.db.write() as session:
        revoke_api_key(session, _row.id, now=utc_now())
    assert site.client.get("/review/queue", follow_redirects=False).status_code == 303
    site.client.cookies.clear()
    sign_in(site)
    out = site.client.post("/review/signout", headers=ORIGIN, follow_redirects=False)
    assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
    site.client.cookies.clear()
    assert site.client.get("/review/queue", follow_redirects=False).status_code == 303


def test_formatting_helpers() -> None:
    assert (
        format_price_vnd(1_500_000) == "1.500.000 ₫" and format_price_vnd(0) == "0 ₫" and format_price_vnd(None) == ""
    )
    assert format_percent(0.834) == "83,4 %"
    marked = highlight("Giày Nike <b>REP</b> rep 1:1", ["rep 1:1", "nike", ""])
    assert str(marked) == "Giày <mark>Nike</mark> &lt;b&gt;REP&lt;/b&gt; <mark>rep 1:1</mark>"
    assert str(highlight("Sữa giả nhãn nhập", ["giả nhãn", "nhãn nhập"])) == "Sữa <mark>giả nhãn nhập</mark>"
    assert str(highlight("a <i>", [])) == "a &lt;i&gt;"
    assert str(highlight("x", ["<i>"])) == "x"


def test_small_pages_mark_uncertain_listings_and_link_the_next_page(
    signed_in: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("serving.ui.routes.QUEUE_PAGE_SIZE", 10)  # 1 of 10 places goes to an uncertain listing
    first = signed_in.client.get("/review/queue", params={"platform": ""}).text
    api = signed_in.client.get("/v1/queue", params={"limit": 10}, headers=signed_in.keys.header("reviewer")).json()
    assert _queue_ids(first) == [item["listing_id"] for item in api["items"]]
    assert first.count("Mô hình chưa chắc chắn") == sum(item["uncertain"] for item in api["items"]) == 1
    next_url = re.search(r'<a href="(/review/queue\?[^"]*cursor=[^"]+)" rel="next">Trang sau</a>', first).group(1)
    second = signed_in.client.get(next_url.replace("&amp;", "&")).text
    assert "Về đầu hàng đợi" in second
    assert set(_queue_ids(second)).isdisjoint(item["listing_id"] for item in api["items"] if not item["uncertain"])
    assert "Liên kết trang không hợp lệ" in signed_in.client.get("/review/queue?cursor=nonsense").text


def test_development_mode_needs_no_sign_in(trained: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> None:
    url = make_database_url("sqlite", tmp_path_factory.mktemp("db"))
    for service in start_service(trained, url, "sqlite", auth_disabled=True):
        assert service.client.get("/review/signin", follow_redirects=False).status_code == 303
        page = service.client.get("/review/queue")
        assert page.status_code == 200 and "development-mode" in page.text
