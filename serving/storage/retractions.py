"""Undo: a reviewer withdraws their own review, soon after saving it, by a newer review of kind ``retracted``.

Nothing is deleted (reviews are append-only). The listing and its second-review check go back to the state
that ``review_steps.before`` recorded just before the withdrawn review, so the listing returns to the queue
as it was: unreviewed, or waiting for the second review it was waiting for, or with its earlier review.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from serving.storage.models import ListingRow, ReviewRow
from serving.storage.review_checks import CHECK_FIELDS, Author, ReviewRefused, state_before
from serving.storage.review_tables import CANCELLED, RETRACTION, ReviewCheckRow, ReviewStepRow


def _retractable(session: Session, review: ReviewRow, author: Author, *, undo_s: float, now: datetime) -> ReviewStepRow:
    """The step of a review its author may retract now; ``ReviewRefused`` saying why not otherwise."""
    if review.reviewer != author.name or (review.api_key_id is not None and review.api_key_id != author.key_id):
        raise ReviewRefused("only the reviewer who wrote a review may retract it")
    step = session.get(ReviewStepRow, review.id)
    if step is None or step.kind == RETRACTION:
        raise ReviewRefused("this review cannot be retracted (a retraction, or written before undo existed)")
    if (now - review.created_at).total_seconds() > undo_s:
        raise ReviewRefused(f"a review can be retracted within {undo_s:g} s of saving it; this one is older")
    return step


def _restore(session: Session, listing: ListingRow, step: ReviewStepRow, now: datetime) -> None:
    """Put the listing and its check back as they were before ``step``'s review."""
    before = step.before
    listing.latest_review_id = before["latest_review_id"]
    reviewed_at = before["reviewed_at"]
    listing.reviewed_at = datetime.fromisoformat(reviewed_at) if reviewed_at else None
    listing.review_stage = before["review_stage"]
    previous = session.get(ReviewRow, listing.latest_review_id) if listing.latest_review_id else None
    if previous is None or previous.snapshot_id != listing.latest_snapshot_id:
        listing.reviewed_at = None  # the current version has no review left: back in the queue
    check = session.get(ReviewCheckRow, step.check_id) if step.check_id else None
    if check is None:
        return
    if before["check"] is None:
        check.status, check.closed_at = CANCELLED, now  # the retracted review had opened it
        return
    for name in CHECK_FIELDS:
        setattr(check, name, before["check"][name])
    closed_at = before["check"]["closed_at"]
    check.closed_at = datetime.fromisoformat(closed_at) if closed_at else None


def retract(session: Session, review_id: int, author: Author, *, undo_s: float, now: datetime) -> ReviewRow | None:
    """Withdraw ``author``'s review by a newer review of kind ``retracted``; the listing returns to its state
    before the review (back in the queue if it had no other). None if there is no such review;
    ``ReviewRefused`` if it is not the author's, too old, already withdrawn or no longer the latest."""
    review = session.get(ReviewRow, review_id)
    if review is None:
        return None
    step = _retractable(session, review, author, undo_s=undo_s, now=now)
    listing = session.get(ListingRow, review.listing_id, with_for_update=True)
    if listing is None or listing.latest_review_id != review.id:
        raise ReviewRefused("this review is no longer the listing's latest (withdrawn, or reviewed since)")
    check = session.get(ReviewCheckRow, step.check_id) if step.check_id else None
    current = state_before(listing, check)
    retraction = ReviewRow(
        listing_id=review.listing_id,
        snapshot_id=review.snapshot_id,
        reviewer=author.name,
        api_key_id=author.key_id,
        labels=[],
        note=None,
        created_at=now,
    )
    session.add(retraction)
    session.flush()
    _restore(session, listing, step, now)
    session.add(
        ReviewStepRow(
            review_id=retraction.id,
            listing_id=retraction.listing_id,
            kind=RETRACTION,
            check_id=step.check_id,
            retracts_review_id=review.id,
            before=current,
        )
    )
    return retraction
