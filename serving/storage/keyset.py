"""Keyset paging, shared by the listing queue and the case list: the opaque cursor token, and the condition
"after this row" in an order of (a score, then the row id)."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

NOT_A_CURSOR = "not a cursor returned by this API"


def encode_token(payload: Any) -> str:
    """An opaque, URL-safe token holding a small JSON value."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decode_token(token: str) -> Any:
    """The JSON value of a token made by ``encode_token``; ``ValueError`` for anything else."""
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, RecursionError) as exc:
        raise ValueError(NOT_A_CURSOR) from exc


MAX_ROW_ID = 2**63 - 1  # ids are 64-bit integers on every backend


def read_row_id(value: Any) -> int:
    """A row id read from a cursor: an integer from 1 to 2⁶³−1, or ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROW_ID:
        raise ValueError("expected a row id")
    return value


def read_fraction(value: Any) -> float:
    """A risk or uncertainty read from a cursor: a number from 0 to 1, or ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("expected a number from 0 to 1")
    return float(value)


def after_descending(order: Any, row_id: Any, value: Any, last_id: int) -> ColumnElement[bool]:
    """Rows after (``value``, ``last_id``) in descending (``order``, ``row_id``) order."""
    return or_(order < value, and_(order == value, row_id < last_id))


def after_ascending(order: Any, row_id: Any, value: Any, last_id: int) -> ColumnElement[bool]:
    """Rows after (``value``, ``last_id``) in ascending (``order``, ``row_id``) order."""
    return or_(order > value, and_(order == value, row_id > last_id))
