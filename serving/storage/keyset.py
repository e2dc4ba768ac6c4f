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


def after_descending(order: Any, row_id: Any, value: Any, last_id: int) -> ColumnElement[bool]:
    """Rows after (``value``, ``last_id``) in descending (``order``, ``row_id``) order."""
    return or_(order < value, and_(order == value, row_id < last_id))


def after_ascending(order: Any, row_id: Any, value: Any, last_id: int) -> ColumnElement[bool]:
    """Rows after (``value``, ``last_id``) in ascending (``order``, ``row_id``) order."""
    return or_(order > value, and_(order == value, row_id > last_id))
