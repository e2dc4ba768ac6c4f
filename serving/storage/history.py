"""One listing's stored history (snapshots, scores, reviews) and appending a review to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.storage.models import ListingRow, ReviewRow, ScoreRow, SnapshotRow


@dataclass(frozen=True)
class ListingHistory:
    """Everything stored about one listing, oldest first."""

    listing: ListingRow
    snapshots: list[SnapshotRow]
    scores: list[ScoreRow]
    reviews: list[ReviewRow]


def get_listing_history(session: Session, listing_id: int) -> ListingHistory | None:
    """The listing with its snapshots, scores and reviews, or None."""
    listing = session.get(ListingRow, listing_id)
    if listing is None:
        return None

    def of_listing(row_class: Any) -> list[Any]:
        return list(session.scalars(select(row_class).where(row_class.listing_id == listing_id).order_by(row_class.id)))

    return ListingHistory(listing, of_listing(SnapshotRow), of_listing(ScoreRow), of_listing(ReviewRow))


def add_review(
    session: Session,
    listing_id: int,
    *,
    reviewer: str,
    api_key_id: int | None,
    labels: list[str],
    note: str | None,
    now: datetime,
) -> ReviewRow | None:
    """Append a review of the listing's latest snapshot (None if there is no such listing)."""
    listing = session.get(ListingRow, listing_id, with_for_update=True)
    if listing is None or listing.latest_snapshot_id is None:
        return None
    review = ReviewRow(
        listing_id=listing_id,
        snapshot_id=listing.latest_snapshot_id,
        reviewer=reviewer,
        api_key_id=api_key_id,
        labels=labels,
        note=note,
        created_at=now,
    )
    session.add(review)
    session.flush()
    listing.latest_review_id = review.id
    listing.reviewed_at = now
    return review
