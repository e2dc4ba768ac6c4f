"""The hostile-input suite on the review page, which is not in the OpenAPI schema: its queries, forms, path and
body get the same families (``hostile_inputs``); every answer a 2xx, 3xx or 4xx within the time bound, never a
5xx. SQLite, and PostgreSQL when ``SOI_TEST_DATABASE_URL`` is set."""

from __future__ import annotations

from tests.serving.conftest import Service
from tests.serving.hostile_inputs import BODY_FAMILIES, PATH_VALUES, QUERY_VALUES, Findings


def test_the_review_page_answers_hostile_input_without_a_server_error(service: Service) -> None:
    client, origin = service.client, {"Origin": "http://testserver"}
    client.cookies.clear()
    client.post("/review/signin", data={"key": service.keys.reviewer}, headers=origin)
    listing = client.post("/v1/score", json={"title": "Áo thun"}, headers=service.keys.header("crawler"))
    listing_id = listing.json()["stored_listing_id"]
    page = client.get(f"/review/listings/{listing_id}").text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    findings = Findings()
    filters = ("label", "platform", "since", "until", "priority")
    # the listing page reads its filters with the queue page's parser: probed there, only its own "saved" here
    reads = {"/review/queue": (*filters, "cursor"), f"/review/listings/{listing_id}": ("saved", "platform")}
    reads["/review/signin"] = ("next",)
    for target, names in reads.items():
        for name in names:
            for family, value in QUERY_VALUES:
                findings.check(
                    f"GET {target}?{name}={family}", lambda t=target, n=name, v=value: client.get(f"{t}?{n}={v}")
                )
    for value in PATH_VALUES:
        findings.check(f"GET /review/listings/{value[:20]}", lambda v=value: client.get(f"/review/listings/{v}"))
    form_url = f"/review/listings/{listing_id}/reviews"
    form_kind = {**origin, "content-type": "application/x-www-form-urlencoded"}
    for family, value in [*QUERY_VALUES, ("huge", "x" * 1_000_000)]:  # form fields travel percent-encoded too
        for form in (f"csrf={csrf}&label={value}", f"csrf={csrf}&note={value}", f"csrf={value}"):
            findings.check(
                f"POST review form {form[-30:]}={family}",
                lambda f=form: client.post(form_url, content=f.encode(), headers=form_kind, follow_redirects=False),
            )
        findings.check(
            f"POST signin key={family}",
            lambda v=value: client.post("/review/signin", content=f"key={v}&next={v}".encode(), headers=form_kind),
        )
    for family, raw, kind in BODY_FAMILIES:
        findings.check(
            f"POST review form body={family}",
            lambda r=raw, k=kind: client.post(form_url, content=r, headers={**origin, "content-type": k}),
        )
    client.cookies.clear()
    assert not findings.failures, f"{len(findings.failures)} of {findings.sent}:\n" + "\n".join(findings.failures)
