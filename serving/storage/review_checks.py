"""Second reviews, disputes, leads' decisions and undo: what each new review does to its listing.

A first review of a listing version opens a *check* when the version falls in the second-review share (a
hash of listing and snapshot, so the choice is reproducible) or when the review contradicts a confident
model. The listing then waits (``review_stage = 'second'``, ``reviewed_at`` null) in the queue of every
reviewer but the first one, who cannot see the first labels (``hidden_review_ids``). The second review either
agrees (the check closes) or not (``'dispute'``: the listing waits in the leads' queue, and a lead who took no
part decides). Reviews stay append-only: each one's role and the state just before it go to
``review_steps``, so a retraction within the undo window restores that state exactly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session

from serving.storage.claims import claim_free_for
from serving.storage.models import ListingRow, ReviewRow, ScoreRow
from serving.storage.review_tables import (
    AGREED,
    AWAITING_SECOND,
    CANCELLED,
    DECIDED,
    DECISION,
    DISPUTED,
    FIRST,
    OPEN_STATUSES,
    SECOND,
    ReviewCheckRow,
    ReviewStepRow,
)

CHECK_FIELDS = ("status", "first_review_id", "first_reviewer", "second_review_id", "second_reviewer")
CHECK_FIELDS += ("decision_review_id", "closed_at")


class ReviewRefused(Exception):
    """A review or retraction the listing's state does not allow (answered 409), with the reason."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking at the queue: their name, whether they are a lead, and the time (for leases)."""

    name: str
    lead: bool
    as_of: datetime


@dataclass(frozen=True)
class CheckPolicy:
    """When a first review goes to a second reviewer (``serving.team.check_policy`` builds it from settings)."""

    share: float
    confident_high: float
    confident_low: float


@dataclass(frozen=True)
class Author:
    """Who writes a review or a retraction."""

    name: str
    key_id: int | None
    lead: bool


@dataclass
class Step:
    """What a review about to be stored will be: its kind, its check, and the state it replaces."""

    kind: str
    check: ReviewCheckRow | None
    before: dict[str, Any]


def second_review_share_hit(listing_id: int, snapshot_id: int, share: float) -> bool:
    """Whether a listing version falls in the second-review share: a hash, so every run agrees."""
    digest = hashlib.sha256(f"second-review|{listing_id}|{snapshot_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _took_part(name: str) -> ColumnElement[bool]:
    return exists().where(
        ReviewCheckRow.listing_id == ListingRow.id,
        ReviewCheckRow.snapshot_id == ListingRow.latest_snapshot_id,
        ReviewCheckRow.status.in_(OPEN_STATUSES),
        or_(ReviewCheckRow.first_reviewer == name, ReviewCheckRow.second_reviewer == name),
    )


def open_to(viewer: Viewer) -> ColumnElement[bool]:
    """SQL condition: an unreviewed listing is work for ``viewer``.

    Not claimed by anyone else; and a listing waiting for a second review is not theirs to check if they
    reviewed it first, a disputed one only for leads who took no part in it.
    """
    fresh = ~_took_part(viewer.name)
    stages = [ListingRow.review_stage.is_(None), and_(ListingRow.review_stage == AWAITING_SECOND, fresh)]
    if viewer.lead:
        stages.append(and_(ListingRow.review_stage == DISPUTED, fresh))
    return and_(or_(*stages), claim_free_for(viewer.name, viewer.as_of))


def open_check(session: Session, listing: ListingRow) -> ReviewCheckRow | None:
    """The open check of the listing's current version, or None."""
    return session.scalar(
        select(ReviewCheckRow).where(
            ReviewCheckRow.listing_id == listing.id,
            ReviewCheckRow.snapshot_id == listing.latest_snapshot_id,
            ReviewCheckRow.status.in_(OPEN_STATUSES),
        )
    )


def hidden_review_ids(session: Session, listing: ListingRow, viewer_name: str) -> set[int]:
    """Reviews a second reviewer must not see: the first reviewer's labels of the version being checked."""
    check = open_check(session, listing)
    if check is None or check.status != AWAITING_SECOND or viewer_name == check.first_reviewer:
        return set()
    statement = select(ReviewRow.id).where(
        ReviewRow.listing_id == listing.id, ReviewRow.snapshot_id == check.snapshot_id
    )
    return set(session.scalars(statement))


def state_before(listing: ListingRow, check: ReviewCheckRow | None) -> dict[str, Any]:
    """The listing's (and its check's) review state, as ``review_steps.before`` keeps it."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    state: dict[str, Any] = {
        "latest_review_id": listing.latest_review_id,
        "reviewed_at": iso(listing.reviewed_at),
        "review_stage": listing.review_stage,
        "check": None,
    }
    if check is not None:
        fields = {name: getattr(check, name) for name in CHECK_FIELDS}
        state["check"] = {"id": check.id, **fields, "closed_at": iso(check.closed_at)}
    return state


def plan_step(session: Session, listing: ListingRow, author: Author) -> Step:
    """What ``author``'s review of ``listing`` will be; ``ReviewRefused`` if it may not be written now."""
    check = open_check(session, listing)
    before = state_before(listing, check)
    if check is None:
        return Step(kind=FIRST, check=None, before=before)
    if author.name == check.first_reviewer:
        return Step(kind=FIRST, check=check, before=before)  # a correction of the first review
    if check.status == AWAITING_SECOND or author.name == check.second_reviewer:
        return Step(kind=SECOND, check=check, before=before)
    if not author.lead:
        raise ReviewRefused("the two reviews of this listing disagree: it waits for a lead's decision")
    return Step(kind=DECISION, check=check, before=before)


def _contradicts(session: Session, listing: ListingRow, labels: list[str], policy: CheckPolicy) -> bool:
    score = session.get(ScoreRow, listing.latest_score_id) if listing.latest_score_id else None
    if score is None or score.snapshot_id != listing.latest_snapshot_id:
        return False
    given = set(labels)
    return any(
        (p >= policy.confident_high and label not in given) or (p <= policy.confident_low and label in given)
        for label, p in score.probabilities.items()
    )


def _maybe_open_check(
    session: Session, listing: ListingRow, review: ReviewRow, policy: CheckPolicy, now: datetime
) -> ReviewCheckRow | None:
    """A first review of a version that was never checked opens a check when sampled or contradicting."""
    earlier = select(ReviewCheckRow.id).where(
        ReviewCheckRow.listing_id == listing.id,
        ReviewCheckRow.snapshot_id == review.snapshot_id,
        ReviewCheckRow.status != CANCELLED,
    )
    if session.scalar(earlier.limit(1)) is not None:
        return None
    sampled = second_review_share_hit(listing.id, review.snapshot_id, policy.share)
    contradicts = _contradicts(session, listing, list(review.labels), policy)
    if not (sampled or contradicts):
        return None
    check = ReviewCheckRow(
        listing_id=listing.id,
        snapshot_id=review.snapshot_id,
        sampled=sampled,
        contradicts_model=contradicts,
        status=AWAITING_SECOND,
        first_review_id=review.id,
        first_reviewer=review.reviewer,
        created_at=now,
    )
    session.add(check)
    session.flush()
    return check


def _cancel_stale_checks(session: Session, listing: ListingRow, now: datetime) -> None:
    """Checks still open on an earlier version of the listing end: the seller edited it, the check is moot."""
    session.execute(
        update(ReviewCheckRow)
        .where(
            ReviewCheckRow.listing_id == listing.id,
            ReviewCheckRow.snapshot_id != listing.latest_snapshot_id,
            ReviewCheckRow.status.in_(OPEN_STATUSES),
        )
        .values(status=CANCELLED, closed_at=now),
        execution_options={"synchronize_session": False},
    )


def _settle(check: ReviewCheckRow, listing: ListingRow, first: list[str], second: list[str], now: datetime) -> None:
    if set(first) == set(second):
        check.status, check.closed_at = AGREED, now
        listing.review_stage = None
    else:
        check.status, check.closed_at = DISPUTED, None
        listing.review_stage, listing.reviewed_at = DISPUTED, None


def apply_step(
    session: Session, listing: ListingRow, review: ReviewRow, step: Step, policy: CheckPolicy, now: datetime
) -> None:
    """Move the listing and its check on after ``review`` (already stored as its latest review) and record it."""
    check = step.check
    if step.kind == FIRST and check is None:
        _cancel_stale_checks(session, listing, now)
        check = _maybe_open_check(session, listing, review, policy, now)
        if check is not None:
            listing.review_stage, listing.reviewed_at = AWAITING_SECOND, None
    elif step.kind == FIRST and check is not None:
        check.first_review_id = review.id
        if check.status == AWAITING_SECOND:
            listing.reviewed_at = None
        else:
            second = session.get(ReviewRow, check.second_review_id)
            _settle(check, listing, list(review.labels), list(second.labels) if second else [], now)
    elif step.kind == SECOND and check is not None:
        check.second_review_id, check.second_reviewer = review.id, review.reviewer
        first = session.get(ReviewRow, check.first_review_id)
        _settle(check, listing, list(first.labels) if first else [], list(review.labels), now)
    elif step.kind == DECISION and check is not None:
        check.decision_review_id, check.status, check.closed_at = review.id, DECIDED, now
        listing.review_stage = None
    listing.claimed_by, listing.claim_expires_at = None, None  # a review ends the claim
    session.add(
        ReviewStepRow(
            review_id=review.id,
            listing_id=listing.id,
            kind=step.kind,
            check_id=check.id if check is not None else None,
            before=step.before,
        )
    )


def steps_of(session: Session, review_ids: list[int]) -> dict[int, ReviewStepRow]:
    """The steps of the given reviews, by review id (reviews written before team review have none)."""
    if not review_ids:
        return {}
    rows = session.scalars(select(ReviewStepRow).where(ReviewStepRow.review_id.in_(review_ids)))
    return {row.review_id: row for row in rows}
