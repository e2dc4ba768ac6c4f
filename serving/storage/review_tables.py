"""The tables of team review: second-review checks, what each review did to its listing, and clearances.

Reviews themselves stay in ``reviews``, append-only. What a review *was* (a first review, a blind second
review, a lead's decision, a retraction) and the listing's state just before it (so that an undo restores it
exactly) are written once, beside it, in ``review_steps``. A ``review_checks`` row follows one listing version
from its first review through a second review to agreement, or to a dispute and a lead's decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from serving.storage.models import Base, Id, UtcDateTime

# review_checks.status
AWAITING_SECOND = "second"  # waiting for a second, blind reviewer
AGREED = "agreed"
DISPUTED = "dispute"  # the two reviewers disagree: waiting for a lead
DECIDED = "decided"
CANCELLED = "cancelled"  # the first review was retracted
OPEN_STATUSES = (AWAITING_SECOND, DISPUTED)

# review_steps.kind
FIRST = "review"
SECOND = "second"
DECISION = "decision"
RETRACTION = "retracted"


class ReviewCheckRow(Base):
    """A listing version chosen for a second review, and where that stands."""

    __tablename__ = "review_checks"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("listing_snapshots.id"))
    sampled: Mapped[bool] = mapped_column(Boolean, doc="Chosen by the share's hash.")
    contradicts_model: Mapped[bool] = mapped_column(Boolean, doc="The first review contradicts a confident model.")
    status: Mapped[str] = mapped_column(String(16), index=True)
    first_review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    first_reviewer: Mapped[str] = mapped_column(String(200))
    second_review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    second_reviewer: Mapped[str | None] = mapped_column(String(200))
    decision_review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReviewStepRow(Base):
    """What one review was, and the listing's state just before it (written once, with the review)."""

    __tablename__ = "review_steps"

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), doc="review, second, decision or retracted.")
    check_id: Mapped[int | None] = mapped_column(ForeignKey("review_checks.id"))
    retracts_review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    before: Mapped[dict[str, Any]] = mapped_column(JSON, doc="The listing's and its check's state before it.")


class ReviewerClearanceRow(Base):
    """A lead's clearance of a reviewer: their reliability is measured afresh from this moment."""

    __tablename__ = "reviewer_clearances"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(200), index=True)
    cleared_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
