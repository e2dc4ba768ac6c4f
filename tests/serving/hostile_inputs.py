"""Hostile values for the hostile-input suites (``test_hostile.py``, ``test_hostile_page.py``): the families, a
record of the answers that were 5xx or too slow, and walking an OpenAPI schema for its fields and a valid example.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from training.hostile import hostile_text

TIME_BOUND_S = 10.0  # generous: a 2-core machine shared with other work; the bug this guards against took 16 s
DEEP = 300  # deeper than any limit, shallower than the JSON parser's recursion limit


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


STRINGS: list[tuple[str, Any]] = [
    ("huge", "x" * 300_000),
    ("digits", hostile_text("digits", 20_000)),
    ("units", hostile_text("units_k", 6_000)),
    ("kitchen_sink", hostile_text("kitchen_sink", 6_000)),
    ("zalgo", hostile_text("zalgo", 6_000)),
    ("emoji", hostile_text("emoji_flood", 3_000)),
    ("markup", hostile_text("markup_open", 6_000)),
    ("nul", "a\x00b"),
    ("surrogate", "\ud800x"),
    ("empty", ""),
    ("spaces", " \t\n "),
    ("first_day", "0001-01-01"),
    ("last_moment", "9999-12-31T23:59:59-23:59"),
    ("number_string", "1500000"),
]
WRONG_TYPES: list[tuple[str, Any]] = [
    ("int", 123),
    ("huge_int", 10**400),
    ("int64_overflow", 2**63),
    ("int64_underflow", -(2**63) - 1),
    ("float_max", 1.7e308),
    ("negative", -1),
    ("bool", True),
    ("null", None),
    ("list", []),
    ("object", {}),
    ("deep", deep(DEEP)),
]
# Query values as they travel, percent-encoded: a lone surrogate can only arrive as its (invalid) UTF-8 bytes.
NUMBERS: list[tuple[str, Any]] = [
    *((name, value) for name, value in WRONG_TYPES if name != "int"),
    ("fraction", 1.5),
    ("tiny", 5e-324),
    *((name, value) for name, value in STRINGS if name in ("number_string", "huge", "nul", "surrogate", "empty")),
]


# Sent to a field that repeats one already probed whole (the listings of a batch are listings): one value of each
# kind of trouble, to show the field is validated the same way there.
REPEATED_FIELD_FAMILIES = {"huge", "digits", "nul", "surrogate", "first_day", "number_string", "huge_int", "deep"}


def families_for(schema: dict, *, repeated: bool = False) -> list[tuple[str, Any]]:
    """The hostile values worth sending to a field of this type: every string family to text, every number
    family to numbers, and the wrong types to all (a string family sent to a number only tests its type again)."""
    if repeated:
        return [item for item in families_for(schema) if item[0] in REPEATED_FIELD_FAMILIES]
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return NUMBERS
    if kind == "string" or "enum" in schema:
        return STRINGS + WRONG_TYPES
    return WRONG_TYPES + [(name, value) for name, value in STRINGS if name in ("huge", "surrogate", "number_string")]


QUERY_VALUES: list[tuple[str, str]] = [
    (name, quote(value, safe="")) for name, value in STRINGS if name not in ("huge", "surrogate")
] + [
    ("surrogate", "%ED%A0%80x"),
    ("invalid_utf8", "%ff%fe"),
    ("nul", "a%00b"),
    ("huge_query", "x" * 8_000),
    ("huge_int", "9" * 400),
    ("int64_overflow", str(2**63)),
    ("negative", "-1"),
    ("nan", "NaN"),
    ("float_max", "1e308"),
]
PATH_VALUES = ["0", "-1", str(2**63), "9" * 400, "abc", "1.5", "%00", "%ff", "%ED%A0%80", "1e3", " 999999"]


@dataclass
class Findings:
    """Every answer that was a 5xx or too slow, and how many requests were sent."""

    sent: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, what: str, send) -> None:
        started = time.perf_counter()
        try:
            response = send()
        except Exception as exc:  # the test client re-raises what the app did not answer
            self.failures.append(f"{what}: raised {type(exc).__name__}: {str(exc)[:200]}")
            return
        finally:
            self.sent += 1
        elapsed = time.perf_counter() - started
        if response.status_code >= 500 or elapsed > TIME_BOUND_S:
            self.failures.append(f"{what}: {response.status_code} in {elapsed:.1f} s: {response.text[:200]}")


def resolve(schema: dict, spec: dict) -> dict:
    """The schema behind a $ref, and the non-null branch of ``X | None``."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    return resolve(options[0], spec) if options else schema


def valid(schema: dict, spec: dict) -> Any:
    """A minimal valid value of a schema: required properties only, the smallest allowed sizes."""
    schema = resolve(schema, spec)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: valid(properties[name], spec) for name in schema.get("required", [])}
    if kind == "array":
        return [valid(schema["items"], spec)] * schema.get("minItems", 0)
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00Z"
    return "Áo thun " + "x" * max(schema.get("minLength", 1) - 8, 0)


def fields(schema: dict, spec: dict, path: tuple = (), depth: int = 0) -> Iterator[tuple[tuple, dict]]:
    """(path, schema) of every field of a body: properties, nested objects' properties, first list items."""
    schema = resolve(schema, spec)
    if depth > 4:
        return
    if schema.get("type") == "object":
        for name, child in schema.get("properties", {}).items():
            yield (*path, name), child
            yield from fields(child, spec, (*path, name), depth + 1)
    elif schema.get("type") == "array":
        yield (*path, 0), schema["items"]
        yield from fields(schema["items"], spec, (*path, 0), depth + 1)


def with_value(body: Any, path: tuple, value: Any, spec_schema: dict, spec: dict) -> Any:
    """A copy of ``body`` with ``value`` at ``path`` (missing parents made valid on the way)."""
    body = json.loads(json.dumps(body))
    node, schema = body, resolve(spec_schema, spec)
    for step in path[:-1]:
        child_schema = resolve(schema["items"] if isinstance(step, int) else schema["properties"][step], spec)
        if isinstance(step, int):
            while len(node) <= step:
                node.append(valid(child_schema, spec))
        elif not isinstance(node.get(step), dict | list):
            node[step] = valid(child_schema, spec) or ({} if child_schema.get("type") == "object" else [])
        node, schema = node[step], child_schema
    if isinstance(path[-1], int):
        node[:] = [value]
    else:
        node[path[-1]] = value
    return body


def encode(body: Any) -> bytes:
    # ASCII escapes, so a lone surrogate travels as "\ud800"; huge integers are valid JSON numbers
    return json.dumps(body, ensure_ascii=True).encode()


BODY_FAMILIES: list[tuple[str, bytes, str]] = [
    ("invalid_utf8", b'{"title": "\xff\xfe"}', "application/json"),
    ("latin1", '{"title": "Áo"}'.encode("latin-1"), "application/json"),
    ("not_json", b"{not json", "application/json"),
    ("empty", b"", "application/json"),
    ("array", b"[1, 2]", "application/json"),
    ("deep_root", encode(deep(DEEP)), "application/json"),
    ("deeper_than_the_parser", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("nan", b'{"title": NaN, "price": Infinity}', "application/json"),
    ("text_plain", b'{"title": "x"}', "text/plain"),
    ("form", b"title=x", "application/x-www-form-urlencoded"),
    ("over_the_limit", b'{"title": "' + b"x" * 2_100_000 + b'"}', "application/json"),
]
UNKNOWN_FIELDS: list[tuple[str, Any]] = [
    ("deep", deep(DEEP)),
    ("wide", {f"k{i}": i for i in range(2_000)}),
    ("long", "x" * 50_000),
    ("surrogate", "\udc00"),
    ("nul", "\x00"),
    ("long_name", {"n" * 500: 1}),
]
