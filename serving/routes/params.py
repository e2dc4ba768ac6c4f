"""Query and path parameters shared by the routes: their 422s, and time filters within the range SQL can compare."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from fastapi.exceptions import RequestValidationError

from serving import reviewing

Cursor = TypeVar("Cursor")


def invalid_parameter(where: str, field: str, message: str) -> RequestValidationError:
    """A 422 naming the parameter (``where`` is "query" or "path"), in the API's usual error body."""
    return RequestValidationError([{"loc": (where, field), "msg": message, "type": "value_error"}])


def filter_time(value: datetime | None, field: str, *, where: str = "query") -> datetime | None:
    """A time in UTC (no zone means UTC); 422 naming the field when it is outside the range a time may name here
    (the calendar's edges overflow in zone arithmetic and SQL comparisons)."""
    if value is None:
        return None
    utc = reviewing.filter_time_utc(value)
    if utc is None:
        first, last = reviewing.EARLIEST_FILTER_TIME.year, reviewing.LATEST_FILTER_TIME.year - 1
        raise invalid_parameter(where, field, f"expected a time in the years {first} to {last}")
    return utc


def query_cursor(decode: Callable[[str], Cursor], token: str | None) -> Cursor | None:
    """The page cursor a query names (None for none); 422 naming ``cursor`` when it is not one this API made."""
    if not token:
        return None
    try:
        return decode(token)
    except ValueError as exc:
        raise invalid_parameter("query", "cursor", str(exc)) from exc
