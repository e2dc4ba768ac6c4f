"""The review queue: which unreviewed listings it shows (``QueueFilter``), its pages by latest risk with an
uncertain share mixed in (``read_queue``), the opaque cursor between pages, and a listing's neighbours."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from serving.storage.keyset import (
    NOT_A_CURSOR,
    after_ascending,
    after_descending,
    decode_token,
    encode_token,
    read_fraction,
    read_row_id,
)
from serving.storage.models import ListingFlagRow, ListingRow
from serving.storage.review_checks import Viewer, open_to


@dataclass(frozen=True)
class QueueFilter:
    """Which unreviewed listings the queue shows."""

    label: str | None = None
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    priority: str | None = None
    # who asks: skips others' claims and what is not theirs to check (None: first reviews only, claims ignored)
    viewer: Viewer | None = None


@dataclass(frozen=True)
class QueueCursor:
    """Where the last page ended, in both orders (risk descending; uncertainty ascending)."""

    risk: float
    listing_id: int
    uncertainty: float | None = None
    uncertain_id: int | None = None

    def encode(self) -> str:
        """An opaque, URL-safe token."""
        return encode_token({"r": self.risk, "i": self.listing_id, "u": self.uncertainty, "ui": self.uncertain_id})

    @classmethod
    def decode(cls, token: str) -> QueueCursor:
        """Read a token made by ``encode``; ``ValueError`` for anything else (a tampered id or risk included)."""
        try:
            payload = decode_token(token)
            cursor = cls(
                risk=read_fraction(payload["r"]),
                listing_id=read_row_id(payload["i"]),
                uncertainty=None if payload.get("u") is None else read_fraction(payload["u"]),
                uncertain_id=None if payload.get("ui") is None else read_row_id(payload["ui"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise ValueError(NOT_A_CURSOR) from exc
        return cursor


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: listings (with whether each came from the uncertain share) and the next cursor."""

    items: list[tuple[ListingRow, bool]]
    next_cursor: str | None


def queue_selection(where: QueueFilter) -> Select[tuple[ListingRow]]:
    """The listings the queue shows for ``where`` (unordered): what claiming takes from, too."""
    statement = select(ListingRow).where(ListingRow.reviewed_at.is_(None), ListingRow.latest_risk.is_not(None))
    if where.viewer is not None:
        statement = statement.where(open_to(where.viewer))
    else:
        statement = statement.where(ListingRow.review_stage.is_(None))
    if where.platform:
        statement = statement.where(ListingRow.platform == where.platform)
    if where.label:
        flag = select(ListingFlagRow.listing_id).where(
            ListingFlagRow.listing_id == ListingRow.id, ListingFlagRow.label == where.label
        )
        statement = statement.where(flag.exists())
    if where.since:
        statement = statement.where(ListingRow.latest_scored_at >= where.since)
    if where.until:
        statement = statement.where(ListingRow.latest_scored_at < where.until)
    if where.priority:
        statement = statement.where(ListingRow.latest_priority == where.priority)
    return statement


def uncertain_slots(limit: int, share: float) -> int:
    """How many of a page's ``limit`` places go to uncertain listings (rounded; the page keeps one risk place)."""
    return min(limit - 1, math.floor(limit * share + 0.5)) if limit > 1 else 0


def read_queue(
    session: Session, where: QueueFilter, *, limit: int, uncertain_share: float, cursor: QueueCursor | None
) -> QueuePage:
    """Unreviewed listings by latest risk (highest first), with the uncertain share mixed in.

    The uncertain listings are those nearest a label threshold among the ones *below* this page (so they
    would not otherwise be seen yet); they are spread evenly through the page. Deterministic: ties are
    broken by id.
    """
    n_uncertain = uncertain_slots(limit, uncertain_share)
    n_risk = limit - n_uncertain
    by_risk = queue_selection(where)
    if cursor is not None:
        by_risk = by_risk.where(after_descending(ListingRow.latest_risk, ListingRow.id, cursor.risk, cursor.listing_id))
    rows = list(
        session.scalars(by_risk.order_by(ListingRow.latest_risk.desc(), ListingRow.id.desc()).limit(n_risk + 1))
    )
    has_more = len(rows) > n_risk
    rows = rows[:n_risk]
    uncertain: list[ListingRow] = []
    if n_uncertain and has_more:
        fold = rows[-1]
        below = queue_selection(where).where(
            after_descending(ListingRow.latest_risk, ListingRow.id, fold.latest_risk, fold.id)
        )
        if cursor is not None and cursor.uncertainty is not None and cursor.uncertain_id is not None:
            below = below.where(
                after_ascending(ListingRow.latest_uncertainty, ListingRow.id, cursor.uncertainty, cursor.uncertain_id)
            )
        uncertain = list(
            session.scalars(below.order_by(ListingRow.latest_uncertainty.asc(), ListingRow.id.asc()).limit(n_uncertain))
        )
    items: list[tuple[ListingRow, bool]] = [(row, False) for row in rows]
    for index, row in enumerate(uncertain):
        items.insert((index + 1) * len(rows) // (len(uncertain) + 1) + index, (row, True))
    next_cursor = None
    if has_more:
        last_uncertain = uncertain[-1] if uncertain else None
        previous_u = (cursor.uncertainty, cursor.uncertain_id) if cursor else (None, None)
        next_cursor = QueueCursor(
            risk=rows[-1].latest_risk or 0.0,
            listing_id=rows[-1].id,
            uncertainty=last_uncertain.latest_uncertainty if last_uncertain else previous_u[0],
            uncertain_id=last_uncertain.id if last_uncertain else previous_u[1],
        ).encode()
    return QueuePage(items=items, next_cursor=next_cursor)


def queue_neighbours(session: Session, where: QueueFilter, listing_id: int) -> tuple[int | None, int | None]:
    """The ids of the unreviewed listings just above and just below ``listing_id`` in the queue's risk order.

    The listing itself need not be in the queue any more (it may just have been reviewed): its latest risk
    still places it, so "next" after a review is the listing that followed it.
    """
    row = session.get(ListingRow, listing_id)
    if row is None or row.latest_risk is None:
        return None, None
    base = queue_selection(where).where(ListingRow.id != listing_id)
    above = after_ascending(ListingRow.latest_risk, ListingRow.id, row.latest_risk, listing_id)
    below = after_descending(ListingRow.latest_risk, ListingRow.id, row.latest_risk, listing_id)
    previous_row = session.scalars(
        base.where(above).order_by(ListingRow.latest_risk.asc(), ListingRow.id.asc()).limit(1)
    ).first()
    next_row = session.scalars(
        base.where(below).order_by(ListingRow.latest_risk.desc(), ListingRow.id.desc()).limit(1)
    ).first()
    return (previous_row.id if previous_row else None), (next_row.id if next_row else None)
