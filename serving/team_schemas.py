"""Request and response bodies of team review: claims, reviewer statistics and clearances."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from serving.schemas import QueueItem, StorableText


class ClaimPage(BaseModel):
    """Listings just claimed for the caller, in queue order, each with its lease's expiry."""

    items: list[QueueItem]


class AgreementOut(BaseModel):
    """Agreement of one reviewer with a reference on yes/no judgements."""

    n: int = Field(description="Judgements compared.")
    agree: int = Field(description="Judgements that agreed.")
    raw: float | None = Field(description="agree / n.")
    raw_ci: tuple[float, float] | None = Field(description="95% Wilson score interval of the raw agreement.")
    kappa: float | None = Field(description="Cohen's kappa (null when chance agreement is 1).")
    kappa_ci: tuple[float, float] | None = Field(
        description="95% interval of kappa from Cohen's large-sample standard error."
    )


class AgreementSetOut(BaseModel):
    """Agreement with one kind of reference: per label, pooled over labels, and exact (every label equal)."""

    reviews: int = Field(description="Reviews compared.")
    per_label: dict[str, AgreementOut]
    pooled: AgreementOut
    exact: AgreementOut = Field(description="Share of reviews whose labels all equal the reference's (kappa null).")


class StandingOut(BaseModel):
    """Whether the reviewer's single reviews feed training now, and with what weight."""

    status: Literal["trusted", "excluded"]
    weight: float = Field(description="Training weight of their single reviews now (0 when excluded).")
    agreement: float = Field(description="Shrunk exact agreement with final labels since `since`.")
    kappa: float = Field(description="Shrunk pooled kappa with final labels since `since`.")
    checks: int = Field(description="Checked reviews since `since`.")
    since: datetime | None = Field(description="The lead's clearance this is measured from (null: from the start).")
    cleared_by: str | None


class ReviewerStatsOut(BaseModel):
    """One reviewer's work and reliability."""

    reviewer: str
    reviews: int = Field(description="First reviews and corrections written (retractions not counted).")
    second_reviews: int
    decisions: int = Field(description="Disputes decided as a lead.")
    retracted: int
    pending: int = Field(description="Their reviews waiting for a second review or a lead.")
    with_second: AgreementSetOut = Field(description="Against the other reviewer of the same listing version.")
    with_lead: AgreementSetOut = Field(description="Against leads' decisions of disputes they took part in.")
    with_final: AgreementSetOut = Field(description="Against the final label: agreed, or a lead's decision.")
    overridden: int = Field(description="Their reviews a lead's decision overrode.")
    override_share: float | None = Field(description="overridden / reviews compared with a final label.")
    hours_worked: float = Field(description="From review times: gaps under the idle limit count as work.")
    reviews_per_hour: float | None
    active_days: int = Field(description="Days (UTC) with at least one review.")
    reviews_per_active_day: float | None
    standing: StandingOut


class ReviewerStatsPage(BaseModel):
    """Every reviewer's statistics and how they were computed."""

    reviewers: list[ReviewerStatsOut]
    agreement_floor: float
    methods: dict[str, str]


class ClearanceIn(BaseModel):
    """A lead clears a reviewer: their reliability is measured afresh from now."""

    reviewer: StorableText = Field(
        min_length=1, max_length=200, description="The reviewer's name (as in their reviews)."
    )
    note: StorableText | None = Field(default=None, max_length=4_000, description="Why, for the record.")


class ClearanceOut(BaseModel):
    """A recorded clearance."""

    clearance_id: int
    reviewer: str
    cleared_by: str
    note: str | None
    cleared_at: datetime
