"""The hostile-input suite: every field of every route gets every hostile family, and every answer is a 2xx or a
4xx within a time bound, never a 5xx; on SQLite, and on PostgreSQL when ``SOI_TEST_DATABASE_URL`` is set.

The routes and their fields come from the app's OpenAPI schema, so a new route or field is covered without
touching this file: path and query parameters, and every field of a JSON body down to nested objects and list
items. Each hostile value is sent in an otherwise valid request (the rest of the body a minimal valid example),
so it reaches the code behind validation. The families: huge, deep, wrong type, wrong encoding, boundary dates
and numbers, NUL, lone surrogates, pathological repeats (``training.hostile``), unknown fields (all in
``hostile_inputs``); hostile headers too. The review page, which is not in the schema: ``test_hostile_page.py``.
"""

from __future__ import annotations

from tests.serving.conftest import Service
from tests.serving.hostile_inputs import (
    BODY_FAMILIES,
    PATH_VALUES,
    QUERY_VALUES,
    UNKNOWN_FIELDS,
    Findings,
    encode,
    families_for,
    fields,
    resolve,
    valid,
    with_value,
)


def _operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def _body_schema(op: dict) -> dict | None:
    return op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")


def _objects(schema: dict, spec: dict) -> list[tuple]:
    """Paths of the body's objects (the root included), where unknown fields can go."""
    found = [()] if resolve(schema, spec).get("type") == "object" else []
    return found + [path for path, child in fields(schema, spec) if resolve(child, spec).get("type") == "object"]


def _path_values(service: Service, spec: dict) -> dict[str, str]:
    """Valid path parameters: a stored listing, a review of it, its case, an identifier, a key made to be revoked."""
    listing = service.client.post("/v1/score", json={"title": "Áo thun"}, headers=service.keys.header("crawler"))
    listing_id = listing.json()["stored_listing_id"]
    review = service.client.post(f"/v1/listings/{listing_id}/reviews", json={"labels": []}, headers=_admin(service))
    key = service.client.post("/v1/admin/keys", json={"role": "crawler", "name": "victim"}, headers=_admin(service))
    cases = service.client.get("/v1/cases", params={"min_listings": 1}, headers=_admin(service))
    return {
        "listing_id": str(listing_id),
        "review_id": str(review.json()["review_id"]),
        "key_id": str(key.json()["key_id"]),
        "case_id": str(cases.json()["items"][0]["case_id"]),
        "kind": "phone",
        "value": "0912345678",
    }


def _admin(service: Service) -> dict[str, str]:
    return service.keys.header("admin")


def _probe_operation(service: Service, spec: dict, method: str, path: str, op: dict, findings: Findings) -> None:
    values = _path_values(service, spec)
    client, headers = service.client, _admin(service)
    schema = _body_schema(op)
    base = valid(schema, spec) if schema else None

    def send(url: str, *, query: str = "", body: bytes | None = None, kind: str = "application/json"):
        extra = {"content-type": kind} if body is not None else {}
        target = f"{url}?{query}" if query else url
        return lambda: client.request(method, target, content=body, headers={**headers, **extra})

    url = path.format(**values)
    findings.check(f"{method} {path} valid", send(url, body=None if base is None else encode(base)))
    for parameter in op.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        if where == "path":
            for value in PATH_VALUES:
                findings.check(f"{method} {path} {name}={value[:20]}", send(path.format(**{**values, name: value})))
        elif where == "query":
            for family, value in QUERY_VALUES:
                findings.check(f"{method} {path} ?{name}={family}", send(url, query=f"{name}={value}"))
    if schema is None:
        return
    for field_path, field_schema in fields(schema, spec):
        repeated = any(isinstance(step, int) for step in field_path[:-1])  # a field of a list's item
        for family, value in families_for(resolve(field_schema, spec), repeated=repeated):
            body = encode(with_value(base, field_path, value, schema, spec))
            findings.check(f"{method} {path} {'.'.join(map(str, field_path))}={family}", send(url, body=body))
    for family, raw, kind in BODY_FAMILIES:
        findings.check(f"{method} {path} body={family}", send(url, body=raw, kind=kind))
    for object_path in _objects(schema, spec):
        for family, value in UNKNOWN_FIELDS:
            body = encode(with_value(base, (*object_path, "soi_unknown"), value, schema, spec))
            findings.check(f"{method} {path} {'.'.join(map(str, object_path))}.unknown={family}", send(url, body=body))


def test_every_field_of_every_route_answers_without_a_server_error(service: Service) -> None:
    spec = service.client.get("/openapi.json").json()
    operations = _operations(spec)
    assert len(operations) >= 14  # every route of the schema, whatever is added later
    findings = Findings()
    for method, path, op in operations:
        _probe_operation(service, spec, method, path, op, findings)
    assert not findings.failures, f"{len(findings.failures)} of {findings.sent}:\n" + "\n".join(findings.failures)
    assert findings.sent > 1_000
    assert service.client.get("/readyz").status_code == 200


def test_hostile_headers_answer_without_a_server_error(service: Service) -> None:
    findings = Findings()
    hostile = [
        {"Authorization": "Bearer " + "x" * 20_000},
        {"Authorization": b"Bearer \xff\xfe\x00"},
        {"Authorization": "Basic " + "=" * 50},
        {"X-Request-ID": "x" * 10_000},
        {"X-Request-ID": b"\xff\n{}"},
        {"Content-Type": "application/json; charset=utf-16"},
        {"Origin": "http://[", "Referer": "http://["},
        {"Cookie": "soi_review_session=" + "9" * 5_000},
    ]
    for headers in hostile:
        for method, path in (("POST", "/v1/score"), ("GET", "/v1/queue"), ("POST", "/review/signin")):
            findings.check(
                f"{method} {path} {list(headers)}",
                lambda method=method, path=path, headers=headers: service.client.request(
                    method, path, headers=headers, content=b'{"title": "x"}'
                ),
            )
    assert not findings.failures, "\n".join(findings.failures)
