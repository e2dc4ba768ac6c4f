"""What a team of reviewers can do beyond one review, shared by the JSON routes and the review page: claim the
next listings, keep or let go of a claim, retract a review, read every reviewer's reliability, clear one.

Like ``serving.reviewing``, both front ends call these functions, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from model.labels import review_labels
from serving import reviewing
from serving.agreement import Agreement, hours_worked
from serving.auth import Principal
from serving.schemas import ClaimOut, QueueItem, ReviewOut
from serving.settings import Settings
from serving.storage.claims import claim_listings, release_claim, renew_claim
from serving.storage.db import Database
from serving.storage.models import ListingRow, ReviewRow, utc_now
from serving.storage.queue import QueueFilter, queue_selection
from serving.storage.retractions import retract
from serving.storage.review_quality import (
    LabelAgreement,
    ReviewerRecord,
    Trust,
    WeightPolicy,
    agreement_of,
    load_activity,
)
from serving.storage.review_tables import DECISION, FIRST, RETRACTION, SECOND, ReviewerClearanceRow, ReviewStepRow
from serving.team_schemas import (
    AgreementOut,
    AgreementSetOut,
    ClearanceOut,
    ReviewerStatsOut,
    ReviewerStatsPage,
    StandingOut,
)

# A gap between two reviews longer than this is a break, not work (throughput's hours worked).
IDLE_S = 15 * 60
RISK_ORDER = (ListingRow.latest_risk.desc(), ListingRow.id.desc())
METHODS = {
    "raw_ci": "95% Wilson score interval",
    "kappa_ci": "Cohen's kappa ± 1.96 × Cohen's (1960) large-sample standard error, clipped to [-1, 1]",
    "final_label": "the labels two reviewers agreed on, or a lead's decision of their dispute",
    "standing": "exact agreement and pooled kappa with final labels since the last clearance, each shrunk toward "
    "its prior as if it had review_prior_checks checks: (n·x + m·prior)/(n + m)",
    "weight": "agreed double reviews and lead decisions 1; disputed 0; a single review the shrunk kappa clipped to "
    "[0, 1], or 0 while its reviewer's shrunk agreement is below the floor",
    "throughput": f"hours worked = gaps under {IDLE_S // 60} min between a reviewer's reviews, plus one typical gap "
    "per session",
}


def weight_policy(settings: Settings) -> WeightPolicy:
    """How reliability becomes training weight, from the settings."""
    return WeightPolicy(
        floor=settings.review_agreement_floor,
        prior_agreement=settings.review_prior_agreement,
        prior_kappa=settings.review_prior_kappa,
        prior_checks=settings.review_prior_checks,
    )


def load_trust(session: Session, settings: Settings) -> Trust:
    """Every reviewer's measured reliability (what the export weighs labels by)."""
    return Trust.load(session, list(review_labels()), weight_policy(settings))


def claim_next(
    db: Database,
    settings: Settings,
    where: QueueFilter,
    *,
    caller: Principal,
    n: int,
    after: int | None = None,
) -> list[QueueItem]:
    """Claim the next ``n`` listings of the caller's queue that they do not hold yet, highest risk first.

    ``after`` is where the reviewer is (the page's J): their claim on it ends if they did not review it, and
    the listings below it in risk order come first (their own claims included: J leads to the next listing
    they hold or nobody holds), then the top of the queue.
    """
    viewer = reviewing.viewer_of(caller)
    where = replace(where, viewer=viewer)
    candidates = queue_selection(where).with_only_columns(ListingRow.id)
    with db.write() as session:
        claimed: list[int] = []
        if after is not None:
            release_claim(session, after, reviewer=caller.name)
            current = session.get(ListingRow, after)
            if current is not None and current.latest_risk is not None:
                below = or_(
                    ListingRow.latest_risk < current.latest_risk,
                    and_(ListingRow.latest_risk == current.latest_risk, ListingRow.id < current.id),
                )
                claimed = _claim(session, candidates.where(below), settings, caller, n, viewer.as_of, own=True)
        if len(claimed) < n:
            rest = candidates.where(ListingRow.id.not_in(claimed)) if claimed else candidates
            own = after is not None
            claimed += _claim(session, rest, settings, caller, n - len(claimed), viewer.as_of, own=own)
        rows = {row.id: row for row in session.scalars(select(ListingRow).where(ListingRow.id.in_(claimed)))}
        return [reviewing.queue_item(rows[i], False, viewer) for i in claimed]


def _claim(
    session: Session,
    candidates: Select[tuple[int]],
    settings: Settings,
    caller: Principal,
    n: int,
    now: datetime,
    *,
    own: bool = False,
) -> list[int]:
    lease_s = settings.claim_lease_s
    order = list(RISK_ORDER)
    return claim_listings(
        session, candidates, order, reviewer=caller.name, n=n, lease_s=lease_s, now=now, include_own=own
    )


def keep_claim(db: Database, settings: Settings, listing_id: int, *, caller: Principal) -> ClaimOut | None:
    """Take or renew the caller's lease on a listing; the claim in force (someone else's if they hold it).

    None when there is no such listing.
    """
    with db.write() as session:
        claim = renew_claim(session, listing_id, reviewer=caller.name, lease_s=settings.claim_lease_s, now=utc_now())
    return reviewing.claim_out(claim)


def let_go(db: Database, listing_id: int, *, caller: Principal) -> bool:
    """End the caller's claim on a listing; whether they held one."""
    with db.write() as session:
        return release_claim(session, listing_id, reviewer=caller.name)


def retract_review(db: Database, settings: Settings, review_id: int, *, caller: Principal) -> ReviewOut | None:
    """Withdraw the caller's own recent review (``ReviewRefused`` says why not); None if there is no such review."""
    with db.write() as session:
        row = retract(session, review_id, reviewing.author_of(caller), undo_s=settings.undo_s, now=utc_now())
        if row is None:
            return None
        session.flush()
        return reviewing.review_out(row, session.get(ReviewStepRow, row.id))


def _agreement_out(agreement: Agreement) -> AgreementOut:
    raw_ci, kappa_ci = agreement.raw_interval, agreement.kappa_interval
    return AgreementOut(
        n=agreement.n,
        agree=agreement.agree,
        raw=agreement.raw,
        raw_ci=(raw_ci.low, raw_ci.high) if raw_ci else None,
        kappa=agreement.kappa,
        kappa_ci=(kappa_ci.low, kappa_ci.high) if kappa_ci else None,
    )


def _set_out(measured: LabelAgreement, reviews: int) -> AgreementSetOut:
    return AgreementSetOut(
        reviews=reviews,
        per_label={label: _agreement_out(a) for label, a in measured.per_label.items()},
        pooled=_agreement_out(measured.pooled),
        exact=_agreement_out(measured.exact),
    )


def reviewer_stats(db: Database, settings: Settings) -> ReviewerStatsPage:
    """Every reviewer's work, agreement with second reviews, leads and final labels, and standing."""
    labels = list(review_labels())
    with db.read() as session:
        trust = load_trust(session, settings)
        activity = load_activity(session)
    reviewers = []
    for name in sorted(set(activity) | set(trust.records)):
        record = trust.records.get(name) or ReviewerRecord()
        done = activity.get(name)
        kinds = done.kinds if done else {}
        hours = hours_worked(done.times_s, idle_s=IDLE_S) if done else 0.0
        written = sum(kinds.get(kind, 0) for kind in (FIRST, SECOND, DECISION))
        current = trust.standings(name)[-1]
        compared = len(record.with_final)
        reviewers.append(
            ReviewerStatsOut(
                reviewer=name,
                reviews=kinds.get(FIRST, 0),
                second_reviews=kinds.get(SECOND, 0),
                decisions=kinds.get(DECISION, 0),
                retracted=kinds.get(RETRACTION, 0),
                pending=record.pending,
                with_second=_set_out(agreement_of(record.with_second, labels), len(record.with_second)),
                with_lead=_set_out(agreement_of(record.with_lead, labels), len(record.with_lead)),
                with_final=_set_out(agreement_of(record.with_final, labels), compared),
                overridden=record.overridden,
                override_share=record.overridden / compared if compared else None,
                hours_worked=round(hours, 3),
                reviews_per_hour=written / hours if hours > 0 else None,
                active_days=len(done.days) if done else 0,
                reviews_per_active_day=written / len(done.days) if done and done.days else None,
                standing=StandingOut(
                    status="excluded" if current.excluded else "trusted",
                    weight=current.weight,
                    agreement=current.agreement,
                    kappa=current.kappa,
                    checks=current.checks,
                    since=current.since,
                    cleared_by=current.cleared_by,
                ),
            )
        )
    return ReviewerStatsPage(reviewers=reviewers, agreement_floor=settings.review_agreement_floor, methods=METHODS)


def clear_reviewer(db: Database, reviewer: str, *, caller: Principal, note: str | None) -> ClearanceOut | None:
    """Record a lead's clearance of ``reviewer`` (measured afresh from now); None if they never reviewed."""
    with db.write() as session:
        if session.scalar(select(ReviewRow.id).where(ReviewRow.reviewer == reviewer).limit(1)) is None:
            return None
        row = ReviewerClearanceRow(reviewer=reviewer, cleared_by=caller.name, note=note, created_at=utc_now())
        session.add(row)
        session.flush()
        return ClearanceOut(
            clearance_id=row.id,
            reviewer=row.reviewer,
            cleared_by=row.cleared_by,
            note=row.note,
            cleared_at=row.created_at,
        )
