"""Request and response bodies of the API beyond the listing and score contracts in ``model.schema``.

The listing, batch and review request models are built per app (``make_listing_model`` and the others) because
their size limits come from the settings; the routers, built once, take the module-level models without those
limits (``Listing``, ``BatchRequest``, ``ReviewIn``) and ``serving.limits`` holds each body to the app's limits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, create_model, field_validator

from model.labels import check_labels, review_labels
from model.schema import MAX_LABELS, Listing, Priority, Score, check_text
from serving.roles import Role

# Text that will be stored or compared in SQL: NFC, no NUL (PostgreSQL refuses it), no lone surrogate.
StorableText = Annotated[str, AfterValidator(check_text)]


def make_listing_model(*, max_title_chars: int, max_description_chars: int) -> type[Listing]:
    """The listing contract with the service's length limits on title and description."""
    return create_model(  # type: ignore[call-overload, no-any-return]
        "Listing",
        __base__=Listing,
        __doc__=Listing.__doc__,
        title=(
            str,
            Field(
                min_length=1,
                max_length=max_title_chars,
                description=f"The listing's title: some non-space text, at most {max_title_chars} characters.",
            ),
        ),
        description=(
            str | None,
            Field(
                default=None,
                max_length=max_description_chars,
                description=f"The listing's body text, at most {max_description_chars} characters "
                "(the model reads its beginning; the stored snapshot keeps all of it).",
            ),
        ),
    )


def make_batch_model(listing_model: type[Listing], max_listings: int | None) -> type[BaseModel]:
    """``{"listings": [...]}`` with 1 to ``max_listings`` items (no upper limit for None)."""
    return create_model(  # type: ignore[call-overload, no-any-return]
        "BatchRequest",
        __doc__="Several listings scored in one call; results come back in the same order.",
        listings=(
            Annotated[list[listing_model], Field(min_length=1, max_length=max_listings)],  # type: ignore[valid-type]
            Field(description=f"1 to {max_listings} listings." if max_listings else "One or more listings."),
        ),
    )


# The request bodies as the module-level routers declare them: the contract without the app's size limits.
BatchRequest = make_batch_model(Listing, None)


class ErrorBody(BaseModel):
    """Every error but 422: what went wrong, in a sentence."""

    detail: str


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can answer."""
    descriptions = {
        401: "Missing, unknown or revoked API key.",
        403: "The key's role may not do this.",
        404: "No such listing, review, reviewer or key.",
        409: "Not possible in the current state, as the detail says: a model that will not load (the old one is "
        "still served), a listing another reviewer holds or that waits for a lead, a review too old to retract.",
        413: "Request body over the size limit.",
        503: "No model loaded, or the database is unavailable: retry after Retry-After seconds.",
    }
    return {status: {"model": ErrorBody, "description": descriptions[status]} for status in statuses}


class StoredScore(Score):
    """A Score, plus where Soi stored the listing."""

    stored_listing_id: int | None = Field(
        default=None, description="Soi's id of the stored listing (GET /v1/listings/{id}); null in a dry run."
    )


class StoredBatchResponse(BaseModel):
    """Scores of a batch, in the order the listings were sent."""

    results: list[StoredScore]


class QueueItem(BaseModel):
    """One unreviewed listing in the review queue."""

    listing_id: int = Field(description="Soi's listing id (GET /v1/listings/{id}).")
    external_id: str | None = Field(description="The crawler's id of the listing.")
    platform: str | None
    url: str | None
    title: str
    risk: float = Field(ge=0, le=1)
    priority: Priority
    flagged: list[str]
    model_version: str
    scored_at: datetime
    uncertain: bool = Field(description="True for the share of listings shown because the model is unsure.")
    review_stage: Literal["second", "dispute"] | None = Field(
        default=None, description="'second': waits for a second, blind review; 'dispute': for a lead to decide."
    )
    claim_expires_at: datetime | None = Field(
        default=None, description="When the caller's claim on the listing ends (null: not claimed by the caller)."
    )


class QueuePage(BaseModel):
    """A page of the queue and the cursor of the next one (null on the last page)."""

    items: list[QueueItem]
    next_cursor: str | None


class SnapshotOut(BaseModel):
    """One stored version of the listing, exactly as the crawler sent it."""

    snapshot_id: int
    sha256: str
    first_seen: datetime
    last_seen: datetime
    listing: dict[str, Any] = Field(description="The listing JSON as received.")


class ScoreOut(BaseModel):
    """One stored score."""

    score_id: int
    snapshot_id: int
    model_version: str
    risk: float
    priority: Priority
    probabilities: dict[str, float]
    flagged: list[str]
    reasons: list[dict[str, Any]]
    scored_at: datetime


class ReviewOut(BaseModel):
    """One review; reviews are never changed, a correction is a newer review."""

    review_id: int
    listing_id: int
    snapshot_id: int = Field(description="The version of the listing the reviewer saw.")
    reviewer: str
    labels: list[str]
    note: str | None
    reviewed_at: datetime
    kind: Literal["review", "second", "decision", "retracted"] = Field(
        default="review",
        description="A review; a blind second review; a lead's decision of a dispute; or the retraction of a review "
        "(its labels mean nothing).",
    )
    retracts_review_id: int | None = Field(default=None, description="For a retraction: the review it withdraws.")
    retracted: bool = Field(default=False, description="Whether a later retraction withdrew this review.")


class ClaimOut(BaseModel):
    """Who holds a listing, until when."""

    listing_id: int
    claimed_by: str
    expires_at: datetime


class ListingDetail(BaseModel):
    """A stored listing: its versions, its scores and its review history, oldest first."""

    listing_id: int
    key: str = Field(
        description='The identity, a JSON array: ["id", platform, id], ["url", url] or ["sha256", content hash].'
    )
    platform: str | None
    external_id: str | None
    url: str | None
    seller_id: str | None
    first_seen: datetime
    last_seen: datetime
    labels: list[str] | None = Field(
        description="The latest review's labels; null while unreviewed (or hidden from a second reviewer)."
    )
    snapshots: list[SnapshotOut]
    scores: list[ScoreOut]
    reviews: list[ReviewOut]
    review_stage: Literal["second", "dispute"] | None = Field(
        default=None, description="'second': waits for a second, blind review; 'dispute': for a lead to decide."
    )
    hidden_reviews: int = Field(
        default=0, description="Reviews left out because the caller is to review this version blind."
    )
    claim: ClaimOut | None = Field(default=None, description="The live claim on the listing, if any.")


def make_review_model(max_note_chars: int | None) -> type[BaseModel]:
    """A reviewer's verdict, with the note limit from the settings (none for None)."""

    class ReviewIn(BaseModel):
        """The labels the listing carries ([] = clean) and an optional note."""

        labels: list[str] = Field(
            max_length=MAX_LABELS, description=f"Zero or more of {list(review_labels())}; [] means clean."
        )
        note: StorableText | None = Field(
            default=None, max_length=max_note_chars, description="Free text for the case file."
        )

        @field_validator("labels")
        @classmethod
        def _known(cls, value: list[str]) -> list[str]:
            return check_labels(value, allowed=list(review_labels()))

    return ReviewIn


ReviewIn = make_review_model(None)


class ApiKeyIn(BaseModel):
    """A key to create."""

    role: Role
    name: StorableText = Field(
        min_length=1, max_length=200, description="Who or what uses the key, e.g. 'crawler-hn-1'."
    )


class ApiKeyOut(BaseModel):
    """A key's record (never the key itself)."""

    key_id: int
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    """A new key: ``key`` is shown this once and stored only as a hash."""

    key: str


class ReloadResult(BaseModel):
    """The model served after a reload."""

    model_version: str
    previous_version: str | None


class Readiness(BaseModel):
    """Whether this process can serve: a model is loaded and the database answers and can take writes."""

    status: Literal["ready", "not ready"]
    model_loaded: bool
    database: bool = Field(description="The database answers.")
    database_writable: bool = Field(description="The database can take a write (and its disk has room).")
    problem: str | None = Field(default=None, description="What keeps the database from taking writes, if anything.")
    model_version: str | None
