"""Routes for reviewers and the case system: the queue, a listing's history, reviews, and their export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from model.labels import review_labels
from model.schema import MAX_PLATFORM_CHARS, Priority
from serving import reviewing
from serving.deps import DatabaseDep, ReviewerDep, SettingsDep
from serving.errors import found
from serving.limits import PageSizeDep, ReviewBody
from serving.routes.params import filter_time, invalid_parameter, query_cursor
from serving.schemas import ListingDetail, QueuePage, ReviewOut, StorableText, error_responses
from serving.settings import Settings
from serving.storage.db import Database
from serving.storage.export import iter_reviewed
from serving.storage.queue import QueueCursor, QueueFilter
from serving.team import load_trust

ListingId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Soi's listing id (stored_listing_id).")]


KNOWN_LABELS = list(review_labels())


def queue_filter(
    caller: ReviewerDep,
    label: Annotated[
        str | None, Query(max_length=64, description=f"Only listings flagged with this label: {KNOWN_LABELS}.")
    ] = None,
    platform: Annotated[
        StorableText | None, Query(max_length=MAX_PLATFORM_CHARS, description="Only listings from this platform.")
    ] = None,
    since: Annotated[datetime | None, Query(description="Only listings last scored at or after this time.")] = None,
    until: Annotated[datetime | None, Query(description="Only listings last scored before this time.")] = None,
    priority: Annotated[Priority | None, Query(description="Only listings of this latest priority.")] = None,
) -> QueueFilter:
    """The queue's filters from the query, seen by the caller (others' claims skipped); 422 for an unknown label."""
    if label is not None and label not in KNOWN_LABELS:
        raise invalid_parameter("query", "label", f"unknown label: expected one of {KNOWN_LABELS}")
    return QueueFilter(
        label=label,
        platform=platform,
        since=filter_time(since, "since"),
        until=filter_time(until, "until"),
        priority=priority,
        viewer=reviewing.viewer_of(caller),
    )


QueueFilterDep = Annotated[QueueFilter, Depends(queue_filter)]


router = APIRouter(tags=["review"], responses=error_responses(401, 403, 404, 413, 503))


@router.get("/v1/queue", response_model=QueuePage)
def queue(
    db: DatabaseDep,
    settings: SettingsDep,
    where: QueueFilterDep,
    limit: PageSizeDep,
    cursor: Annotated[str | None, Query(max_length=512, description="next_cursor of the previous page.")] = None,
) -> QueuePage:
    """Listings to review, highest latest risk first, with a share of uncertain ones marked as such.

    Unreviewed listings and those waiting for a second review by someone other than their first reviewer
    (for leads, also disputes to decide); listings another reviewer has claimed are skipped.
    """
    decoded = query_cursor(QueueCursor.decode, cursor)
    return reviewing.load_queue_page(db, settings, where, limit=limit, cursor=decoded)


@router.get("/v1/listings/{listing_id}", response_model=ListingDetail)
def listing_detail(listing_id: ListingId, db: DatabaseDep, caller: ReviewerDep) -> ListingDetail:
    """A stored listing: every snapshot as received, every score, and the review history.

    A caller who is to review the listing blind (a second review) does not see its first review."""
    return found(reviewing.load_listing_detail(db, listing_id, viewer=caller.name), f"no listing {listing_id}")


@router.post("/v1/listings/{listing_id}/reviews", response_model=ReviewOut, status_code=201)
def submit_review(
    listing_id: ListingId, db: DatabaseDep, settings: SettingsDep, caller: ReviewerDep, review: ReviewBody
) -> ReviewOut:
    """Add a review of the listing's latest snapshot. Earlier reviews stay: the history is the audit trail.

    It ends any claim on the listing. It is a second review when the listing waits for one and the caller did
    not review it first, a lead's decision when it is disputed (409 for a caller who is not a lead)."""
    return found(
        reviewing.submit_review(
            db,
            listing_id,
            caller=caller,
            labels=review.labels,
            note=review.note,
            policy=reviewing.check_policy(settings),
        ),
        f"no listing {listing_id}",
    )


@router.get(
    "/v1/reviews/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "One listing per line."}},
)
def export_reviews(
    db: DatabaseDep,
    settings: SettingsDep,
    _caller: ReviewerDep,
    since: Annotated[datetime | None, Query(description="Only listings reviewed at or after this time.")] = None,
) -> StreamingResponse:
    """Reviewed listings as JSONL: the latest snapshot in the listing contract, with the latest labels, their
    provenance (single, double_agreed, lead_decision, disputed) and training weight."""
    lines = _export_lines(db, settings, filter_time(since, "since"))
    first = next(lines, None)  # a database outage is a 503 here, before the stream has started

    def stream() -> Iterator[str]:
        if first is not None:
            yield first
            yield from lines

    return StreamingResponse(stream(), media_type="application/x-ndjson")


def _export_lines(db: Database, settings: Settings, since: datetime | None) -> Iterator[str]:
    with db.read() as session:
        for line in iter_reviewed(session, trust=load_trust(session, settings), since=since):
            yield json.dumps(line, ensure_ascii=False) + "\n"
