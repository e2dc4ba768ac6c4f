"""How far each reviewer can be trusted, measured on second reviews and leads' decisions, and what that makes
each exported label worth in training.

Every closed check compares reviews of the same listing version: the first reviewer against the second (both
ways), each against the lead's decision when there was a dispute, and each against the **final label** (the
agreed labels, or the decision). Agreement with the final label drives training:

- a reviewer's *standing* is measured per period between a lead's clearances (a clearance starts afresh):
  exact agreement (all labels equal) and pooled Cohen's kappa over (review, label) judgements, each shrunk
  toward a prior (``serving.agreement.shrink``);
- shrunk agreement below the floor: the reviewer is **excluded** (their single reviews weigh 0) until a lead
  clears them; otherwise a single review weighs the shrunk kappa clipped to [0, 1];
- an agreed double review and a lead's decision weigh 1; a disputed listing waiting for a lead weighs 0.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.agreement import Agreement, binary_agreement, shrink
from serving.storage.bulk import chunks
from serving.storage.models import ListingRow, ReviewRow
from serving.storage.review_tables import (
    AGREED,
    AWAITING_SECOND,
    CANCELLED,
    DECIDED,
    DECISION,
    DISPUTED,
    FIRST,
    RETRACTION,
    SECOND,
    ReviewCheckRow,
    ReviewerClearanceRow,
    ReviewStepRow,
)

SINGLE, DOUBLE_AGREED, LEAD_DECISION, DISPUTED_PENDING = "single", "double_agreed", "lead_decision", "disputed"


@dataclass(frozen=True)
class WeightPolicy:
    """How reliability becomes training weight (``serving.team.weight_policy`` builds it from settings)."""

    floor: float
    prior_agreement: float
    prior_kappa: float
    prior_checks: float


@dataclass(frozen=True)
class Verdict:
    """One review's labels, by whom and when."""

    review_id: int
    reviewer: str
    labels: frozenset[str]
    at: datetime


@dataclass(frozen=True)
class Comparison:
    """A reviewer's verdict beside a reference verdict's labels."""

    own: Verdict
    reference: frozenset[str]


@dataclass
class ReviewerRecord:
    """Every comparison of one reviewer's reviews, by reference."""

    with_second: list[Comparison] = field(default_factory=list)
    with_lead: list[Comparison] = field(default_factory=list)
    with_final: list[Comparison] = field(default_factory=list)
    pending: int = 0
    overridden: int = 0


@dataclass(frozen=True)
class Standing:
    """A reviewer's trust in one period (from ``since``, a lead's clearance, or from the start)."""

    since: datetime | None
    cleared_by: str | None
    checks: int
    agreement: float
    kappa: float
    excluded: bool
    weight: float


@dataclass(frozen=True)
class LabelAgreement:
    """Agreement per label, pooled over labels, and exact (all labels equal, raw only)."""

    per_label: dict[str, Agreement]
    pooled: Agreement
    exact: Agreement


def agreement_of(comparisons: list[Comparison], labels: list[str]) -> LabelAgreement:
    """Per-label and pooled kappa / raw agreement, and exact agreement, of a list of comparisons."""
    per_label = {
        label: binary_agreement((label in c.own.labels, label in c.reference) for c in comparisons) for label in labels
    }
    pooled = binary_agreement((label in c.own.labels, label in c.reference) for c in comparisons for label in labels)
    exact = binary_agreement((c.own.labels == c.reference, True) for c in comparisons)
    return LabelAgreement(per_label=per_label, pooled=pooled, exact=exact)


def _verdicts(session: Session, ids: set[int]) -> dict[int, Verdict]:
    verdicts: dict[int, Verdict] = {}
    for chunk in chunks(sorted(ids)):
        for row in session.scalars(select(ReviewRow).where(ReviewRow.id.in_(chunk))):
            verdicts[row.id] = Verdict(row.id, row.reviewer, frozenset(row.labels), row.created_at)
    return verdicts


def load_records(session: Session) -> dict[str, ReviewerRecord]:
    """Each reviewer's comparisons, from every check that was not cancelled."""
    checks = list(session.scalars(select(ReviewCheckRow).where(ReviewCheckRow.status != CANCELLED)))
    ids = {i for c in checks for i in (c.first_review_id, c.second_review_id, c.decision_review_id) if i}
    verdicts = _verdicts(session, ids)
    records: dict[str, ReviewerRecord] = defaultdict(ReviewerRecord)
    for check in checks:
        first = verdicts[check.first_review_id]
        second = verdicts.get(check.second_review_id or 0)
        decision = verdicts.get(check.decision_review_id or 0)
        if check.status == AWAITING_SECOND or second is None:
            records[first.reviewer].pending += 1
            continue
        pair = (first, second)
        records[first.reviewer].with_second.append(Comparison(first, second.labels))
        records[second.reviewer].with_second.append(Comparison(second, first.labels))
        if check.status == DISPUTED:
            for own in pair:
                records[own.reviewer].pending += 1
        elif check.status == AGREED:
            for own, other in ((first, second), (second, first)):
                records[own.reviewer].with_final.append(Comparison(own, other.labels))
        elif check.status == DECIDED and decision is not None:
            for own in pair:
                records[own.reviewer].with_lead.append(Comparison(own, decision.labels))
                records[own.reviewer].with_final.append(Comparison(own, decision.labels))
                records[own.reviewer].overridden += own.labels != decision.labels
    return records


def load_clearances(session: Session) -> dict[str, list[ReviewerClearanceRow]]:
    """Each reviewer's clearances, oldest first."""
    clearances: dict[str, list[ReviewerClearanceRow]] = defaultdict(list)
    for row in session.scalars(select(ReviewerClearanceRow).order_by(ReviewerClearanceRow.created_at)):
        clearances[row.reviewer].append(row)
    return clearances


def standing_of(comparisons: list[Comparison], labels: list[str], policy: WeightPolicy) -> tuple[float, float, bool]:
    """(shrunk exact agreement, shrunk pooled kappa, excluded) of one period's comparisons with the final label."""
    measured = agreement_of(comparisons, labels)
    n = len(comparisons)
    agreement = shrink(measured.exact.raw, n, prior=policy.prior_agreement, prior_n=policy.prior_checks)
    # no variation at all (everyone always said "clean"): kappa is undefined, and raw agreement says as much
    kappa_raw = measured.pooled.kappa if measured.pooled.kappa is not None else measured.pooled.raw
    kappa = shrink(kappa_raw, n, prior=policy.prior_kappa, prior_n=policy.prior_checks)
    return agreement, kappa, agreement < policy.floor


class Trust:
    """Standings of every reviewer in every period, and the training weight of any exported label."""

    def __init__(
        self,
        records: dict[str, ReviewerRecord],
        clearances: dict[str, list[ReviewerClearanceRow]],
        labels: list[str],
        policy: WeightPolicy,
    ) -> None:
        self.records, self.clearances, self.labels, self.policy = records, clearances, labels, policy
        self._periods: dict[str, list[Standing]] = {}

    @classmethod
    def load(cls, session: Session, labels: list[str], policy: WeightPolicy) -> Trust:
        """Measure every reviewer from the database."""
        return cls(load_records(session), load_clearances(session), labels, policy)

    def standings(self, reviewer: str) -> list[Standing]:
        """One standing per period of ``reviewer`` (one more than their clearances), oldest first."""
        if reviewer not in self._periods:
            cleared = self.clearances.get(reviewer, [])
            starts = [row.created_at for row in cleared]
            by_period: list[list[Comparison]] = [[] for _ in range(len(starts) + 1)]
            for comparison in self.records[reviewer].with_final if reviewer in self.records else []:
                by_period[bisect.bisect_right(starts, comparison.own.at)].append(comparison)
            standings = []
            for index, comparisons in enumerate(by_period):
                agreement, kappa, excluded = standing_of(comparisons, self.labels, self.policy)
                since = cleared[index - 1] if index else None
                standings.append(
                    Standing(
                        since=since.created_at if since else None,
                        cleared_by=since.cleared_by if since else None,
                        checks=len(comparisons),
                        agreement=agreement,
                        kappa=kappa,
                        excluded=excluded,
                        weight=0.0 if excluded else min(1.0, max(0.0, kappa)),
                    )
                )
            self._periods[reviewer] = standings
        return self._periods[reviewer]

    def standing_at(self, reviewer: str, at: datetime) -> Standing:
        """The standing of the period in which ``reviewer`` wrote a review at ``at``."""
        starts = [row.created_at for row in self.clearances.get(reviewer, [])]
        return self.standings(reviewer)[bisect.bisect_right(starts, at)]


def label_trust(
    session: Session, trust: Trust, pairs: list[tuple[ListingRow, ReviewRow]]
) -> dict[int, tuple[str, float]]:
    """(provenance, weight) of each listing's exported label (its latest review), by listing id."""
    steps = {
        row.review_id: row
        for row in session.scalars(select(ReviewStepRow).where(ReviewStepRow.review_id.in_([r.id for _, r in pairs])))
    }
    check_ids = {step.check_id for step in steps.values() if step.check_id}
    checks = {row.id: row for row in session.scalars(select(ReviewCheckRow).where(ReviewCheckRow.id.in_(check_ids)))}
    result: dict[int, tuple[str, float]] = {}
    for listing, review in pairs:
        step = steps.get(review.id)
        check = checks.get(step.check_id) if step and step.check_id else None
        if step is not None and step.kind == DECISION:
            result[listing.id] = (LEAD_DECISION, 1.0)
        elif check is not None and check.status == AGREED and step is not None and step.kind in (FIRST, SECOND):
            result[listing.id] = (DOUBLE_AGREED, 1.0)
        elif check is not None and check.status == DISPUTED:
            result[listing.id] = (DISPUTED_PENDING, 0.0)
        else:
            result[listing.id] = (SINGLE, trust.standing_at(review.reviewer, review.created_at).weight)
    return result


@dataclass
class Activity:
    """What one reviewer wrote and when (for throughput)."""

    kinds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    times_s: list[float] = field(default_factory=list)
    days: set[str] = field(default_factory=set)


def load_activity(session: Session) -> dict[str, Activity]:
    """Every reviewer's reviews by kind, with their times (reviews from before team review count as first)."""
    activity: dict[str, Activity] = defaultdict(Activity)
    statement = select(ReviewRow.reviewer, ReviewRow.created_at, ReviewStepRow.kind).outerjoin(
        ReviewStepRow, ReviewStepRow.review_id == ReviewRow.id
    )
    for reviewer, created_at, kind in session.execute(statement):
        record = activity[reviewer]
        record.kinds[kind or FIRST] += 1
        if kind != RETRACTION:
            record.times_s.append(created_at.timestamp())
            record.days.add(created_at.date().isoformat())
    return activity
