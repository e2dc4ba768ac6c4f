"""Routes for a team of reviewers: claim listings, keep or release a claim, retract a review, and (leads)
reviewers' statistics and clearances. The work itself is in ``serving.team``, shared with the review page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from serving import team
from serving.deps import DatabaseDep, LeadDep, ReviewerDep, SettingsDep
from serving.errors import Conflict, found
from serving.limits import ClaimCountDep
from serving.routes.reviews import ListingId, QueueFilterDep
from serving.schemas import ClaimOut, ReviewOut, error_responses
from serving.team_schemas import ClaimPage, ClearanceIn, ClearanceOut, ReviewerStatsPage

ReviewId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The review's id (review_id).")]


router = APIRouter(tags=["team review"], responses=error_responses(401, 403, 404, 409, 413, 503))


@router.post("/v1/queue/claim", response_model=ClaimPage)
def claim(
    db: DatabaseDep,
    where: QueueFilterDep,
    caller: ReviewerDep,
    settings: SettingsDep,
    n: ClaimCountDep,
) -> ClaimPage:
    """Claim the next ``n`` listings of the caller's (filtered) queue, highest risk first, for
    ``SOI_CLAIM_LEASE_S`` seconds: nobody else's queue shows them until the lease ends or a review ends it.
    Concurrent callers never get the same listing. Fewer (or no) items when the queue runs out."""
    return ClaimPage(items=team.claim_next(db, settings, where, caller=caller, n=n))


@router.post("/v1/listings/{listing_id}/claim", response_model=ClaimOut)
def keep(listing_id: ListingId, db: DatabaseDep, settings: SettingsDep, caller: ReviewerDep) -> ClaimOut:
    """Take or renew the caller's lease on a listing (call it while working on the listing); 409 when another
    reviewer holds it."""
    held = found(team.keep_claim(db, settings, listing_id, caller=caller), f"no listing {listing_id}")
    if held.claimed_by != caller.name:
        raise Conflict(f"listing {listing_id} is claimed by {held.claimed_by} until {held.expires_at.isoformat()}")
    return held


@router.delete("/v1/listings/{listing_id}/claim", status_code=204, response_class=Response)
def release(listing_id: ListingId, db: DatabaseDep, caller: ReviewerDep) -> Response:
    """Give the listing back to the queue (the caller's own claim only; nothing happens otherwise)."""
    team.let_go(db, listing_id, caller=caller)
    return Response(status_code=204)


@router.post("/v1/reviews/{review_id}/retract", response_model=ReviewOut, status_code=201)
def retract(review_id: ReviewId, db: DatabaseDep, settings: SettingsDep, caller: ReviewerDep) -> ReviewOut:
    """Withdraw one's own review within ``SOI_UNDO_S`` seconds of saving it, while it is still the listing's
    latest: a newer review of kind ``retracted`` is stored (nothing is deleted) and the listing returns to its
    state before the review, back in the queue if it had no other. 409 says why when that is not possible."""
    return found(team.retract_review(db, settings, review_id, caller=caller), f"no review {review_id}")


@router.get("/v1/reviewers/stats", response_model=ReviewerStatsPage)
def stats(db: DatabaseDep, settings: SettingsDep, _caller: LeadDep) -> ReviewerStatsPage:
    """Per reviewer: agreement with second reviews, with leads' decisions and with final labels (per label
    Cohen's kappa and raw agreement, with counts and 95% intervals), throughput, overrides, and whether their
    reviews feed training (their weight)."""
    return team.reviewer_stats(db, settings)


@router.post("/v1/reviewers/clearances", response_model=ClearanceOut, status_code=201)
def clear(body: Annotated[ClearanceIn, Body()], db: DatabaseDep, caller: LeadDep) -> ClearanceOut:
    """Clear a reviewer: their reliability is measured afresh from now, so an excluded reviewer's new reviews
    feed training again (their earlier ones stay as measured). Recorded with who cleared them."""
    return found(
        team.clear_reviewer(db, body.reviewer, caller=caller, note=body.note), f"no reviews by {body.reviewer!r}"
    )
