"""Claiming listings: a reviewer who opens the next item of the queue holds it for a lease.

A claim is two columns of the listing row (``claimed_by``, ``claim_expires_at``), so the queue skips other
reviewers' claims in the same indexed query, and claiming is one locked update of the listing rows:

- PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks the next free listings, skipping rows another
  transaction is claiming right now; a row claimed and committed meanwhile is re-checked against the
  free-claim condition on its new version (read committed), so it is skipped too.
- SQLite: the write transaction starts with ``BEGIN IMMEDIATE`` (``serving.storage.db``), so claims are
  serialised by the database's single write lock.

Either way two reviewers asking at the same instant never get the same listing. A lease that expires
returns the listing to everyone's queue; a review ends the claim (``release_claim``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, update
from sqlalchemy.orm import Session

from serving.storage.models import ListingRow


@dataclass(frozen=True)
class Claim:
    """Who holds a listing, until when."""

    listing_id: int
    reviewer: str
    expires_at: datetime


def claim_free_for(reviewer: str, now: datetime) -> ColumnElement[bool]:
    """SQL condition: the listing is unclaimed, its lease has run out, or ``reviewer`` holds it."""
    return or_(
        ListingRow.claimed_by.is_(None),
        ListingRow.claim_expires_at <= now,
        ListingRow.claimed_by == reviewer,
    )


def unclaimed(now: datetime) -> ColumnElement[bool]:
    """SQL condition: nobody holds the listing now (never claimed, released, or the lease ran out)."""
    return or_(ListingRow.claimed_by.is_(None), ListingRow.claim_expires_at <= now)


def claim_of(row: ListingRow, now: datetime) -> Claim | None:
    """The live claim on a listing row, or None (never claimed, released, or expired)."""
    if row.claimed_by is None or row.claim_expires_at is None or row.claim_expires_at <= now:
        return None
    return Claim(listing_id=row.id, reviewer=row.claimed_by, expires_at=row.claim_expires_at)


def claim_listings(
    session: Session,
    candidates: Select[tuple[int]],
    order: list[ColumnElement[Any]],
    *,
    reviewer: str,
    n: int,
    lease_s: float,
    now: datetime,
    include_own: bool = False,
    attempts: int = 5,
) -> list[int]:
    """Claim up to ``n`` of the ``candidates`` (listing ids) that nobody holds now (or ``reviewer`` holds, with
    ``include_own``: their lease is renewed).

    Returns the claimed ids in ``order``. On PostgreSQL rows locked by a concurrent claim are skipped, and a
    row claimed meanwhile drops out when re-checked, so a pass may find fewer than ``n``: it tries again, a
    few times, while listings are left.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    expires = now + timedelta(seconds=lease_s)
    claimed: list[int] = []
    for _ in range(attempts):
        statement = candidates.where(claim_free_for(reviewer, now) if include_own else unclaimed(now))
        if claimed:
            statement = statement.where(ListingRow.id.not_in(claimed))
        statement = statement.order_by(*order).limit(n - len(claimed))
        if postgres:
            statement = statement.with_for_update(skip_locked=True, of=ListingRow)
        ids = list(session.scalars(statement))
        if not ids:
            break
        session.execute(
            update(ListingRow).where(ListingRow.id.in_(ids)).values(claimed_by=reviewer, claim_expires_at=expires),
            execution_options={"synchronize_session": False},
        )
        claimed += ids
        if len(claimed) >= n:
            break
    return claimed


def renew_claim(session: Session, listing_id: int, *, reviewer: str, lease_s: float, now: datetime) -> Claim | None:
    """Take or extend ``reviewer``'s lease on a listing; the other reviewer's Claim if someone else holds it.

    Returns the claim now in force (None only when there is no such listing).
    """
    expires = now + timedelta(seconds=lease_s)
    taken = session.execute(
        update(ListingRow)
        .where(ListingRow.id == listing_id, claim_free_for(reviewer, now))
        .values(claimed_by=reviewer, claim_expires_at=expires),
        execution_options={"synchronize_session": False},
    )
    if taken.rowcount:
        return Claim(listing_id=listing_id, reviewer=reviewer, expires_at=expires)
    row = session.get(ListingRow, listing_id)
    return None if row is None else claim_of(row, now)


def release_claim(session: Session, listing_id: int, *, reviewer: str | None = None) -> bool:
    """End the claim on a listing (only ``reviewer``'s, when given); whether one was ended."""
    condition = [ListingRow.id == listing_id, ListingRow.claimed_by.is_not(None)]
    if reviewer is not None:
        condition.append(ListingRow.claimed_by == reviewer)
    ended = session.execute(
        update(ListingRow).where(and_(*condition)).values(claimed_by=None, claim_expires_at=None),
        execution_options={"synchronize_session": False},
    )
    return bool(ended.rowcount)
