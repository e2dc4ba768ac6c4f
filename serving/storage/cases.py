"""Reading cases (operators with two or more listings) and recording deleted listings, in the caller's session.

The case list is one indexed query over ``operators`` (the aggregates ``serving.storage.linking`` keeps), with
keyset paging by (highest listing risk, id); nothing is recomputed per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.storage.case_tables import (
    IdentifierListingRow,
    IdentifierRow,
    ListingGoneRow,
    ListingLinkRow,
    OperatorRow,
    bar_list_has,
)
from serving.storage.keyset import (
    NOT_A_CURSOR,
    after_descending,
    decode_token,
    encode_token,
    read_fraction,
    read_row_id,
)
from serving.storage.models import ListingRow, ReviewRow, ScoreRow

MAX_MERGE_HOPS = 64  # merges go small into large, so a chain is at most log2(listings) long


@dataclass(frozen=True)
class CaseFilter:
    """Which cases the list shows: a flagged label, a platform, activity in a time window, a size range."""

    label: str | None = None
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_listings: int = 2
    max_listings: int | None = None


@dataclass(frozen=True)
class CaseCursor:
    """Where the last page of cases ended: its highest risk and id."""

    risk: float
    case_id: int

    def encode(self) -> str:
        """An opaque, URL-safe token."""
        return encode_token([self.risk, self.case_id])

    @classmethod
    def decode(cls, token: str) -> CaseCursor:
        """Read a token made by ``encode``; ``ValueError`` for anything else."""
        try:
            risk, case_id = decode_token(token)
            return cls(risk=read_fraction(risk), case_id=read_row_id(case_id))
        except (ValueError, TypeError) as exc:
            raise ValueError(NOT_A_CURSOR) from exc


def read_cases(
    session: Session, where: CaseFilter, *, limit: int, cursor: CaseCursor | None
) -> tuple[list[OperatorRow], str | None]:
    """A page of cases, highest listing risk first (ties by id, newest first), and the next page's cursor."""
    statement = select(OperatorRow).where(OperatorRow.merged_into.is_(None))
    statement = statement.where(OperatorRow.is_case.is_(True)) if where.min_listings >= 2 else statement
    statement = statement.where(OperatorRow.listing_count >= max(1, where.min_listings))
    if where.max_listings is not None:
        statement = statement.where(OperatorRow.listing_count <= where.max_listings)
    if where.label:
        statement = statement.where(bar_list_has(OperatorRow.flagged, where.label))
    if where.platform:
        statement = statement.where(bar_list_has(OperatorRow.platforms, where.platform))
    if where.since:
        statement = statement.where(OperatorRow.last_seen >= where.since)
    if where.until:
        statement = statement.where(OperatorRow.first_seen < where.until)
    if cursor is not None:
        statement = statement.where(after_descending(OperatorRow.max_risk, OperatorRow.id, cursor.risk, cursor.case_id))
    rows = list(
        session.scalars(statement.order_by(OperatorRow.max_risk.desc(), OperatorRow.id.desc()).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (CaseCursor(rows[-1].max_risk, rows[-1].id).encode() if more and rows else None)


def resolve_case(session: Session, case_id: int) -> OperatorRow | None:
    """The operator ``case_id`` is now part of (following merges), or None when there is no such operator."""
    row = session.get(OperatorRow, case_id)
    for _ in range(MAX_MERGE_HOPS):
        if row is None or row.merged_into is None:
            return row
        row = session.get(OperatorRow, row.merged_into)
    return row


def listing_case_id(session: Session, listing_id: int) -> int | None:
    """The operator a listing belongs to (None before it was linked)."""
    return session.scalar(select(ListingLinkRow.operator_id).where(ListingLinkRow.listing_id == listing_id))


@dataclass(frozen=True)
class CaseMember:
    """One listing of a case with its link, latest score and deletion record."""

    listing: ListingRow
    link: ListingLinkRow
    score: ScoreRow | None
    gone: ListingGoneRow | None


def case_members(session: Session, case_id: int) -> list[CaseMember]:
    """Every listing of a case, oldest first."""
    statement = (
        select(ListingRow, ListingLinkRow, ScoreRow, ListingGoneRow)
        .join(ListingLinkRow, ListingLinkRow.listing_id == ListingRow.id)
        .outerjoin(ScoreRow, ScoreRow.id == ListingRow.latest_score_id)
        .outerjoin(ListingGoneRow, ListingGoneRow.listing_id == ListingRow.id)
        .where(ListingLinkRow.operator_id == case_id)
        .order_by(ListingRow.first_seen, ListingRow.id)
    )
    return [CaseMember(*row) for row in session.execute(statement)]


def rows_of_listings(session: Session, row_class: type, listing_ids: Sequence[int]) -> list:
    """Snapshots, scores or reviews of these listings, oldest first."""
    if not listing_ids:
        return []
    column = row_class.listing_id
    return list(session.scalars(select(row_class).where(column.in_(listing_ids)).order_by(row_class.id)))


def identifier_rows(session: Session, value_hashes: Sequence[str]) -> dict[str, IdentifierRow]:
    """Index rows of these identifiers (missing ones are simply absent)."""
    if not value_hashes:
        return {}
    statement = select(IdentifierRow).where(IdentifierRow.value_hash.in_(sorted(set(value_hashes))))
    return {row.value_hash: row for row in session.scalars(statement)}


def listings_with_identifier(session: Session, value_hash: str, *, limit: int) -> list[tuple[ListingRow, int]]:
    """Listings carrying an identifier, newest first, each with its operator id."""
    statement = (
        select(ListingRow, ListingLinkRow.operator_id)
        .join(IdentifierListingRow, IdentifierListingRow.listing_id == ListingRow.id)
        .join(ListingLinkRow, ListingLinkRow.listing_id == ListingRow.id)
        .where(IdentifierListingRow.value_hash == value_hash)
        .order_by(ListingRow.id.desc())
        .limit(limit)
    )
    return [(listing, operator_id) for listing, operator_id in session.execute(statement)]


def count_gone(session: Session, listing_ids: Sequence[int]) -> int:
    """How many of these listings are recorded as deleted."""
    if not listing_ids:
        return 0
    statement = select(ListingGoneRow.listing_id).where(ListingGoneRow.listing_id.in_(sorted(set(listing_ids))))
    return len(list(session.scalars(statement)))


def record_gone(
    session: Session, listing_ids: Sequence[int], *, gone_at: datetime, now: datetime, reported_by: str
) -> list[int]:
    """Record listings as deleted on their platform (the first report stands); returns the operators touched."""
    rows = session.execute(
        select(ListingRow.id, ListingRow.first_seen).where(ListingRow.id.in_(sorted(set(listing_ids))))
    )
    known = set(session.scalars(select(ListingGoneRow.listing_id).where(ListingGoneRow.listing_id.in_(listing_ids))))
    for listing_id, first_seen in rows:
        if listing_id in known:
            continue
        seconds = max(0.0, (gone_at - first_seen).total_seconds())
        session.add(
            ListingGoneRow(
                listing_id=listing_id, gone_at=gone_at, reported_at=now, reported_by=reported_by, seconds_online=seconds
            )
        )
    session.flush()
    statement = select(ListingLinkRow.operator_id).where(ListingLinkRow.listing_id.in_(sorted(set(listing_ids))))
    return sorted(set(session.scalars(statement)))


def reviewed_deletions(session: Session) -> dict[str, list[int]]:
    """For reviewed listings, [risky, clean] counts (by their latest review) of those deleted within 48 h of
    first seen ("fast") and of all others ("other"): what deciding whether deletion speed should feed the model
    needs."""
    counts = {"fast": [0, 0], "other": [0, 0]}
    statement = (
        select(ReviewRow.labels, ListingGoneRow.seconds_online, ListingGoneRow.gone_at, ListingRow.last_seen)
        .join(ListingRow, ListingRow.latest_review_id == ReviewRow.id)
        .outerjoin(ListingGoneRow, ListingGoneRow.listing_id == ListingRow.id)
    )
    for labels, seconds, gone_at, last_seen in session.execute(statement.execution_options(yield_per=1000)):
        fast = seconds is not None and seconds <= 48 * 3600 and gone_at >= last_seen
        counts["fast" if fast else "other"][0 if labels else 1] += 1
    return counts
