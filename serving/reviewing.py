"""What a reviewer can read and do, shared by the JSON routes and the review page: the queue, one listing,
a review. Both front ends call these functions, so there is one place that turns rows into answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from model.folding import nfc
from serving.auth import Principal
from serving.roles import is_lead
from serving.schemas import ClaimOut, ListingDetail, QueueItem, QueuePage, ReviewOut, ScoreOut, SnapshotOut
from serving.settings import Settings
from serving.storage.claims import Claim, claim_of
from serving.storage.db import Database
from serving.storage.history import add_review, get_listing_history
from serving.storage.models import ListingRow, ReviewRow, as_utc, utc_now
from serving.storage.queue import QueueCursor, QueueFilter, queue_neighbours, read_queue
from serving.storage.review_checks import (
    Author,
    CheckPolicy,
    Viewer,
    apply_step,
    hidden_review_ids,
    plan_step,
    steps_of,
)
from serving.storage.review_tables import FIRST, ReviewStepRow

# The times a filter (queue, export, the review page) may name: far enough from the calendar's edges that moving
# one to UTC, or a day further, never overflows, on SQLite and PostgreSQL alike.
EARLIEST_FILTER_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_FILTER_TIME = datetime(9999, 1, 1, tzinfo=UTC)


def filter_time_utc(value: datetime) -> datetime | None:
    """A filter's time in UTC (a time without a zone is read as UTC, the zone of every stored time), or None
    when it is outside ``EARLIEST_FILTER_TIME`` .. ``LATEST_FILTER_TIME``."""
    try:
        aware = as_utc(value)
    except OverflowError:  # 0001-01-01T00:00+07:00 is before year 1 in UTC
        return None
    return aware if EARLIEST_FILTER_TIME <= aware < LATEST_FILTER_TIME else None


# Deeper than any listing accepted now (model.schema.MAX_EXTRA_DEPTH); snapshots stored before unknown fields were
# bounded may nest deeper than a JSON answer can be serialised.
SHOWN_DEPTH = 32


def _showable(value: Any, depth: int = 0) -> Any:
    """A stored snapshot with anything nested deeper than ``SHOWN_DEPTH`` replaced by a note, so it can be shown."""
    if depth >= SHOWN_DEPTH and isinstance(value, dict | list):
        return "(nested too deep to show)"
    if isinstance(value, dict):
        return {key: _showable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_showable(item, depth + 1) for item in value]
    return value


def viewer_of(caller: Principal) -> Viewer:
    """The queue's view for ``caller`` now: their name, whether they lead, and the time that leases end by."""
    return Viewer(name=caller.name, lead=is_lead(caller.role), as_of=utc_now())


def author_of(caller: Principal) -> Author:
    """``caller`` as the author of a review or retraction."""
    return Author(name=caller.name, key_id=caller.key_id, lead=is_lead(caller.role))


def check_policy(settings: Settings) -> CheckPolicy:
    """When a first review goes to a second reviewer, from the settings."""
    return CheckPolicy(
        share=settings.second_review_share,
        confident_high=settings.second_review_confident_high,
        confident_low=settings.second_review_confident_low,
    )


def review_out(row: ReviewRow, step: ReviewStepRow | None = None, *, retracted: bool = False) -> ReviewOut:
    """A stored review as the API shows it, with what it was (``step``; None for reviews from before steps)."""
    return ReviewOut(
        review_id=row.id,
        listing_id=row.listing_id,
        snapshot_id=row.snapshot_id,
        reviewer=row.reviewer,
        labels=list(row.labels),
        note=row.note,
        reviewed_at=row.created_at,
        kind=step.kind if step else FIRST,  # type: ignore[arg-type]
        retracts_review_id=step.retracts_review_id if step else None,
        retracted=retracted,
    )


def claim_out(claim: Claim | None) -> ClaimOut | None:
    """A live claim as the API shows it."""
    if claim is None:
        return None
    return ClaimOut(listing_id=claim.listing_id, claimed_by=claim.reviewer, expires_at=claim.expires_at)


def queue_item(row: ListingRow, uncertain: bool, viewer: Viewer | None = None) -> QueueItem:
    """A listing row as a queue item; with the viewer's own claim's expiry when they hold it."""
    own_claim = viewer is not None and row.claimed_by == viewer.name
    claim = claim_of(row, viewer.as_of) if own_claim and viewer else None
    return QueueItem(
        listing_id=row.id,
        external_id=row.external_id,
        platform=row.platform,
        url=row.url,
        title=row.title,
        risk=row.latest_risk or 0.0,
        priority=row.latest_priority or "low",  # type: ignore[arg-type]
        flagged=row.latest_flagged,
        model_version=row.latest_model_version or "",
        scored_at=row.latest_scored_at or row.last_seen,
        uncertain=uncertain,
        review_stage=row.review_stage,  # type: ignore[arg-type]
        claim_expires_at=claim.expires_at if claim else None,
    )


def load_queue_page(
    db: Database, settings: Settings, where: QueueFilter, *, limit: int, cursor: QueueCursor | None
) -> QueuePage:
    """One page of the review queue (highest risk first, the uncertain share mixed in and marked)."""
    with db.read() as session:
        page = read_queue(session, where, limit=limit, uncertain_share=settings.queue_uncertain_share, cursor=cursor)
        items = [queue_item(row, uncertain, where.viewer) for row, uncertain in page.items]
    return QueuePage(items=items, next_cursor=page.next_cursor)


def load_listing_detail(db: Database, listing_id: int, *, viewer: str | None = None) -> ListingDetail | None:
    """A stored listing with every snapshot, score and review, oldest first; None if there is none.

    For a ``viewer`` who is to review the listing's version blind (a second reviewer), the reviews of that
    version and the current labels are left out.
    """
    with db.read() as session:
        history = get_listing_history(session, listing_id)
        if history is None:
            return None
        row = history.listing
        hidden = hidden_review_ids(session, row, viewer) if viewer is not None else set()
        steps = steps_of(session, [r.id for r in history.reviews])
        withdrawn = {step.retracts_review_id for step in steps.values() if step.retracts_review_id}
        latest = next((r for r in history.reviews if r.id == row.latest_review_id), None)
        claim = claim_of(row, utc_now())
        return ListingDetail(
            listing_id=row.id,
            key=row.key,
            platform=row.platform,
            external_id=row.external_id,
            url=row.url,
            seller_id=row.seller_id,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            labels=list(latest.labels) if latest is not None and not hidden else None,
            snapshots=[
                SnapshotOut(
                    snapshot_id=s.id,
                    sha256=s.sha256,
                    first_seen=s.first_seen,
                    last_seen=s.last_seen,
                    listing=_showable(json.loads(s.raw_json)),
                )
                for s in history.snapshots
            ],
            scores=[
                ScoreOut(
                    score_id=s.id,
                    snapshot_id=s.snapshot_id,
                    model_version=s.model_version,
                    risk=s.risk,
                    priority=s.priority,  # type: ignore[arg-type]
                    probabilities=s.probabilities,
                    flagged=s.flagged,
                    reasons=s.reasons,
                    scored_at=s.created_at,
                )
                for s in history.scores
            ],
            reviews=[
                review_out(r, steps.get(r.id), retracted=r.id in withdrawn)
                for r in history.reviews
                if r.id not in hidden
            ],
            review_stage=row.review_stage,  # type: ignore[arg-type]
            hidden_reviews=len(hidden),
            claim=claim_out(claim),
        )


@dataclass(frozen=True)
class Neighbours:
    """The unreviewed listings just before and after one listing in the queue's risk order (ids, or None)."""

    previous_id: int | None
    next_id: int | None


def load_neighbours(db: Database, where: QueueFilter, listing_id: int) -> Neighbours:
    """Where J and K lead from a listing: its neighbours in the filtered queue, by risk (works once reviewed too)."""
    with db.read() as session:
        previous_id, next_id = queue_neighbours(session, where, listing_id)
    return Neighbours(previous_id=previous_id, next_id=next_id)


def submit_review(
    db: Database, listing_id: int, *, caller: Principal, labels: list[str], note: str | None, policy: CheckPolicy
) -> ReviewOut | None:
    """Append a review of the listing's latest snapshot by ``caller``; None if there is no such listing.

    The review ends any claim on the listing, and is a first review, a blind second review or a lead's
    decision depending on the listing's check (``serving.storage.review_checks``), which it moves on;
    ``ReviewRefused`` when the listing waits for a lead and ``caller`` is not one.
    """
    now = utc_now()
    with db.write() as session:
        listing = session.get(ListingRow, listing_id, with_for_update=True)
        if listing is None or listing.latest_snapshot_id is None:
            return None
        step = plan_step(session, listing, author_of(caller))
        row = add_review(
            session,
            listing_id,
            reviewer=caller.name,
            api_key_id=caller.key_id,
            labels=labels,
            note=nfc(note) if note is not None else None,
            now=now,
        )
        if row is None:
            return None
        apply_step(session, listing, row, step, policy, now)
        session.flush()
        return review_out(row, session.get(ReviewStepRow, row.id))
