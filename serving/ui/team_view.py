"""What the review page shows of team review on a listing: the claim (taken or renewed as the page loads),
the blind second review, a dispute, and the undo of one's own review just saved."""

from __future__ import annotations

from dataclasses import dataclass, replace

from serving import team
from serving.auth import Principal
from serving.reviewing import viewer_of
from serving.roles import is_lead
from serving.schemas import ClaimOut, ListingDetail, ReviewOut
from serving.settings import Settings
from serving.storage.db import Database
from serving.storage.models import utc_now
from serving.storage.queue import QueueFilter


@dataclass(frozen=True)
class ListingTeamView:
    """The team side of one listing page."""

    claim: ClaimOut | None
    held_by_other: bool
    stage: str | None
    blind: bool  # the viewer is the second reviewer: the first labels are hidden
    waiting_for_second: bool  # the viewer reviewed it first; someone else is to check it
    can_review: bool  # False for a reviewer who is not a lead on a dispute they took no part in
    undo: ReviewOut | None  # the viewer's own review they may still retract


def with_viewer(where: QueueFilter, principal: Principal) -> QueueFilter:
    """The page's queue filters as seen by ``principal``: others' claims and others' checks are skipped."""
    return replace(where, viewer=viewer_of(principal))


def _work_for(detail: ListingDetail, principal: Principal, parties: set[str]) -> bool:
    """Whether the listing waits for ``principal``: a first review, their blind second review, a lead's decision."""
    if detail.review_stage == "second":
        return detail.hidden_reviews > 0  # blind: they are not its first reviewer
    if detail.review_stage == "dispute":
        return is_lead(principal.role) and principal.name not in parties
    current = detail.scores[-1].snapshot_id if detail.scores else None
    return not any(r.snapshot_id == current and r.kind != "retracted" and not r.retracted for r in detail.reviews)


def _undoable(detail: ListingDetail, principal: Principal, undo_s: float) -> ReviewOut | None:
    if not detail.reviews:
        return None
    last = detail.reviews[-1]
    fresh = (utc_now() - last.reviewed_at).total_seconds() <= undo_s
    if last.reviewer == principal.name and last.kind != "retracted" and not last.retracted and fresh:
        return last
    return None


def listing_team_view(db: Database, settings: Settings, principal: Principal, detail: ListingDetail) -> ListingTeamView:
    """Claim the listing for the viewer if it waits for them and is free (renewing their lease), and say what
    the page must show of its second review, dispute and undo."""
    current = detail.scores[-1].snapshot_id if detail.scores else None
    parties = {r.reviewer for r in detail.reviews if r.snapshot_id == current and r.kind != "retracted"}
    claim = detail.claim
    if _work_for(detail, principal, parties):
        claim = team.keep_claim(db, settings, detail.listing_id, caller=principal) or claim
    disputed = detail.review_stage == "dispute"
    return ListingTeamView(
        claim=claim,
        held_by_other=claim is not None and claim.claimed_by != principal.name,
        stage=detail.review_stage,
        blind=detail.hidden_reviews > 0,
        waiting_for_second=detail.review_stage == "second" and detail.hidden_reviews == 0,
        can_review=not disputed or is_lead(principal.role) or principal.name in parties,
        undo=_undoable(detail, principal, settings.undo_s),
    )
