"""The review page in a real browser: Playwright driving Debian's Chromium (``/usr/bin/chromium``).

Sign in, see the queue in risk order, open a listing and review it with the keyboard alone, see the history
update, undo with U, move with J (which claims the next listing) and K; the leads' team page; check
accessibility with axe-core; take screenshots at 1366×768 and 390×844 into
``reports/screenshots/`` (the CI artefacts) and time keyboard reviews into ``reports/bench_review.json``
(reported, never asserted). Skipped, with the reason, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import statistics
import time

import httpx

from tests.serving.browser import (
    REPORTS,
    SCREENSHOTS,
    SIZES,
    LiveSite,
    browser,
    check_accessibility,
    history_count,
    live_site,
    no_horizontal_scroll,
)

__all__ = ["browser", "live_site"]  # the fixtures, imported so that pytest finds them here


def _check_team_page(browser: object, live_site: LiveSite) -> None:
    """The leads' page of reviewers' reliability: a lead signs in, sees every reviewer; accessible at both sizes."""
    for size, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        page = context.new_page()
        page.goto(f"{live_site.base_url}/review/signin?next=/review/team")
        page.locator("#key").fill(live_site.keys.lead)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_site.base_url}/review/team")
        assert page.locator("tr[data-reviewer='test-reviewer']").count() == 1
        check_accessibility(page, f"team page at {size}")
        page.screenshot(path=str(SCREENSHOTS / f"team-{size}.png"), full_page=True)
        context.close()


def _sign_in_with_the_keyboard(page: object, live_site: LiveSite) -> None:
    """A wrong key first, then the reviewer's, typed into the focused field."""
    page.goto(f"{live_site.base_url}/review/queue")
    assert "/review/signin" in page.url
    check_accessibility(page, "sign-in page")
    page.keyboard.type("soi_wrong")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Khóa không đúng hoặc đã bị thu hồi")
    page.locator("#key").fill(live_site.keys.reviewer)
    page.keyboard.press("Enter")
    page.wait_for_url("**/review/queue")


def _move_with_j_and_k(page: object, live_site: LiveSite) -> list[int]:
    """The queue in risk order (the API's order); J/K in the queue, Enter opens; J/K between listings."""
    ids = [int(i) for i in page.locator("[data-listing-id]").evaluate_all("els => els.map(e => e.dataset.listingId)")]
    assert ids == live_site.queue_ids
    check_accessibility(page, "queue page")
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "queue-1366x768.png"), full_page=True)
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.closest('[data-listing-id]').dataset.listingId") == str(ids[0])
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/review/listings/{ids[0]}")
    page.keyboard.press("j")
    page.wait_for_url(f"**/review/listings/{ids[1]}")
    page.keyboard.press("k")
    page.wait_for_url(f"**/review/listings/{ids[0]}")
    check_accessibility(page, "listing page")
    assert page.locator("script", has_text="alert(1)").count() == 0  # the listing's markup is shown, not run
    assert "<script>alert(1)</script>" in page.locator(".description").inner_text()
    return ids


def _review_correct_and_undo(page: object) -> None:
    """2 toggles the second label, N + text writes a note, Enter submits; a second Enter stores nothing twice;
    a correction goes on top of the history; U withdraws it."""
    smuggled = page.locator("#nhan-smuggled")
    before = smuggled.is_checked()
    page.keyboard.press("2")
    assert smuggled.is_checked() != before
    page.keyboard.press("n")
    page.keyboard.type("Kiểm tra bằng bàn phím")
    page.keyboard.press("Escape")
    assert history_count(page) == 0
    page.keyboard.press("Enter")
    page.wait_for_selector("#da-luu")
    assert history_count(page) == 1
    entry = page.locator("[data-history] > li").first.inner_text()
    assert "test-reviewer" in entry and "Kiểm tra bằng bàn phím" in entry
    assert ("Hàng lậu/không rõ nguồn gốc" in entry) != before
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Đánh giá này đã được lưu")
    assert history_count(page) == 1
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('[data-history] > li').length === 2")
    check_accessibility(page, "listing page after a review")
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "review-1366x768.png"), full_page=True)
    page.keyboard.press("u")
    page.wait_for_selector("#da-hoan-tac")
    assert history_count(page) == 3 and "đã rút lại" in page.locator("[data-history] > li").nth(1).inner_text()
    check_accessibility(page, "listing page after an undo")


def _help_and_phone_size(browser: object, context: object, page: object, live_site: LiveSite, first: int) -> None:
    """? opens and closes the help; at 390×844 the queue and a listing do not scroll sideways and stay accessible."""
    page.keyboard.press("?")
    assert page.locator("#phim-tat").is_visible()
    page.keyboard.press("?")
    assert not page.locator("#phim-tat").is_visible()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state())
    phone_page = phone.new_page()
    for name, path in (("queue", "/review/queue"), ("review", f"/review/listings/{first}")):
        phone_page.goto(live_site.base_url + path)
        assert no_horizontal_scroll(phone_page), f"{name} scrolls sideways at 390×844"
        check_accessibility(phone_page, f"{name} at 390×844")
        phone_page.screenshot(path=str(SCREENSHOTS / f"{name}-390x844.png"), full_page=True)
    phone.close()


def _time_keyboard_reviews(page: object, count: int = 5) -> dict:
    """From J (the next listing opens) to the new review shown in the history, ``count`` times (reported only)."""
    timings_s = []
    for _ in range(count):
        current = page.url
        started = time.perf_counter()
        page.keyboard.press("j")
        page.wait_for_function("url => location.href !== url", arg=current)
        page.wait_for_selector("#review-form")
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        page.wait_for_selector("#da-luu")
        page.locator("[data-history] > li").first.wait_for()
        timings_s.append(time.perf_counter() - started)
    return {
        "what": "keyboard review in Chromium: J (claim and open the next listing) → 1 (toggle a label) → Enter → "
        "history shown",
        "reviews": len(timings_s),
        "median_s": round(statistics.median(timings_s), 3),
        "max_s": round(max(timings_s), 3),
        "timings_s": [round(t, 3) for t in timings_s],
    }


def test_keyboard_review_in_the_browser(browser: object, live_site: LiveSite, artefacts: list[str]) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _sign_in_with_the_keyboard(page, live_site)
    ids = _move_with_j_and_k(page, live_site)
    _review_correct_and_undo(page)
    _help_and_phone_size(browser, context, page, live_site, ids[0])
    _check_team_page(browser, live_site)
    bench = _time_keyboard_reviews(page)
    context.close()
    (REPORTS / "bench_review.json").write_text(json.dumps(bench, indent=2) + "\n", encoding="utf-8")
    artefacts.extend(str(path.relative_to(REPORTS.parent)) for path in sorted(SCREENSHOTS.glob("*.png")))
    artefacts.append(f"reports/bench_review.json (median keyboard review {bench['median_s']} s)")


def test_case_pages_in_the_browser(browser: object, live_site: LiveSite, artefacts: list[str]) -> None:
    """The case queue, a case page (shared number, deleted listing, duplicates), the evidence download, the link
    from a listing to its case, with axe at both sizes."""
    written = [("facebook", "0912 345 678"), ("zalo", "0912.345.678"), ("tiktok", "+84 912 345 678")]
    posts = [
        {"id": f"case-{n}", "platform": platform, "title": f"Bóng cười giao nhanh {n}",
         "description": f"Bình khí cười 8 lít, giao kín đáo trong nội thành, gọi {phone}", "seller": {"id": f"acc-{n}"}}
        for n, (platform, phone) in enumerate(written)
    ]  # fmt: skip
    with httpx.Client(base_url=live_site.base_url, timeout=30) as client:
        crawler = live_site.keys.header("crawler")
        ids = [
            r["stored_listing_id"]
            for r in client.post("/v1/score/batch", json={"listings": posts}, headers=crawler).json()["results"]
        ]
        client.post("/v1/listings/gone", json={"listings": [{"platform": "zalo", "id": "case-1"}]}, headers=crawler)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_site.base_url}/review/signin")
    page.locator("#key").fill(live_site.keys.reviewer)
    page.keyboard.press("Enter")
    page.wait_for_url("**/review/queue")
    page.click("text=Vụ việc")
    page.wait_for_url("**/review/cases")
    check_accessibility(page, "case queue")
    page.locator("[data-case-id] a").first.click()
    page.wait_for_selector("[data-shared-identifier]")
    assert "+84912345678" in page.locator("[data-shared-identifier]").first.inner_text()
    assert page.locator("[data-deleted]").count() == 1
    assert page.locator("[data-near-duplicate]").count() == 3
    check_accessibility(page, "case page")
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "case-1366x768.png"), full_page=True)
    with page.expect_download() as download:
        page.click("[data-evidence]")
    assert download.value.suggested_filename.startswith("soi-vu-viec-")
    page.goto(f"{live_site.base_url}/review/listings/{ids[0]}")
    page.click("[data-case-link]")
    page.wait_for_selector("[data-shared-identifier]")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=context.storage_state())
    phone_page = phone.new_page()
    phone_page.goto(page.url)
    assert no_horizontal_scroll(phone_page), "the case page scrolls sideways at 390×844"
    check_accessibility(phone_page, "case page at 390×844")
    phone_page.screenshot(path=str(SCREENSHOTS / "case-390x844.png"), full_page=True)
    phone.close()
    context.close()
    artefacts.extend(["reports/screenshots/case-1366x768.png", "reports/screenshots/case-390x844.png"])
