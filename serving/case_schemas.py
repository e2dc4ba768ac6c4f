"""Request and response bodies of the case routes: cases, their listings and identifiers, deletions, case reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from model.schema import MAX_ID_CHARS, MAX_PLATFORM_CHARS, MAX_URL_CHARS, Priority
from serving.schemas import StorableText, make_review_model


class CaseSummary(BaseModel):
    """One case (an operator with two or more listings) as the case list shows it."""

    case_id: int = Field(description="The case's id (GET /v1/cases/{id}).")
    listing_count: int
    seller_count: int = Field(description="Distinct seller accounts (a listing without seller counts as its own).")
    platforms: list[str]
    risk: float = Field(ge=0, le=1, description="The highest latest risk of its listings.")
    flagged_counts: dict[str, int] = Field(description="How many of its listings are flagged, per label.")
    first_seen: datetime
    last_seen: datetime
    deleted_count: int = Field(description="Listings the crawler reported deleted (and not seen again since).")
    deleted_within_48h: int = Field(description="Of those, deleted within 48 h of Soi first seeing them.")
    deletion_summary: str = Field(description="In Vietnamese, e.g. '12 trên 40 tin bị xóa trong vòng 48 giờ…'.")


class CasePage(BaseModel):
    """A page of cases, highest risk first, and the cursor of the next page (null on the last)."""

    items: list[CaseSummary]
    next_cursor: str | None


class CaseIdentifier(BaseModel):
    """An identifier of a case's listings: shown to reviewers and admins only."""

    kind: str
    value: str = Field(description="Canonical value (E.164 for phone numbers); what the search route takes.")
    written: list[str] = Field(description="How the listings wrote it.")
    detail: str | None = Field(default=None, description="The bank of an account number, when written.")
    listing_ids: list[int] = Field(description="The case's listings that carry it.")
    shared: bool = Field(description="Carried by two or more of the case's listings: it links them.")
    common: bool = Field(description="Shared by too many sellers (a hotline): shown, but links nobody.")


class CaseListing(BaseModel):
    """One listing of a case with its latest score and whether it is gone."""

    listing_id: int
    external_id: str | None
    platform: str | None
    url: str | None
    seller_id: str | None
    seller_name: str | None
    title: str
    first_seen: datetime
    last_seen: datetime
    deleted_at: datetime | None = Field(description="When the crawler found it deleted; null while online.")
    risk: float | None
    priority: Priority | None
    flagged: list[str]
    model_version: str | None
    reviewed_labels: list[str] | None = Field(description="Its latest review's labels; null while unreviewed.")
    near_duplicates: list[int] = Field(description="Listings of the case whose text is nearly the same.")


class TimelineEvent(BaseModel):
    """Something that happened to one of the case's listings."""

    at: datetime
    listing_id: int
    event: str = Field(description="first_seen, edited, reviewed or deleted.")
    text: str = Field(description="The event in Vietnamese.")


class CaseDetail(CaseSummary):
    """A case: its listings (each with Soi's listing id and latest score), identifiers, and timeline."""

    listings: list[CaseListing]
    identifiers: list[CaseIdentifier] | None = Field(description="Reviewers and admins only; null for other roles.")
    timeline: list[TimelineEvent]


class IdentifierListing(BaseModel):
    """A listing found by an identifier, with the case it belongs to."""

    listing_id: int
    case_id: int
    platform: str | None
    title: str
    first_seen: datetime
    last_seen: datetime
    risk: float | None
    flagged: list[str]


class IdentifierListings(BaseModel):
    """The listings carrying one identifier."""

    kind: str
    value: str = Field(description="The canonical value searched for.")
    common: bool = Field(description="Shared by too many sellers to link them.")
    listing_count: int
    seller_count: int
    listings: list[IdentifierListing]


class GoneRef(BaseModel):
    """A listing the crawler found deleted, by the identity it was scored with: platform + id, else url."""

    platform: StorableText | None = Field(default=None, max_length=MAX_PLATFORM_CHARS)
    id: StorableText | None = Field(default=None, max_length=MAX_ID_CHARS)
    url: StorableText | None = Field(default=None, max_length=MAX_URL_CHARS)

    @model_validator(mode="after")
    def _has_identity(self) -> GoneRef:
        if not self.id and not self.url:
            raise ValueError("give the listing's id (with its platform) or its url")
        return self


class GoneIn(BaseModel):
    """Listings that are gone from their platform."""

    listings: Annotated[list[GoneRef], Field(min_length=1, max_length=1_000)]
    gone_at: datetime | None = Field(default=None, description="When the crawler saw them gone (default: now).")


class GoneOut(BaseModel):
    """What was recorded: Soi's listing ids (null where the listing is unknown, in the order sent)."""

    listing_ids: list[int | None]
    recorded: int = Field(description="Listings newly recorded as deleted (a repeated report keeps the first).")


def make_case_review_model(max_note_chars: int | None) -> type[BaseModel]:
    """A label decision for a case's listings: a listing review (same labels and note rules) plus which listings."""

    class CaseReviewIn(make_review_model(max_note_chars)):  # type: ignore[misc]
        """Labels for the case's listings ([] = clean), a note, and optionally only some of its listings."""

        listing_ids: list[int] | None = Field(default=None, max_length=10_000, description="Default: all of them.")

    return CaseReviewIn


CaseReviewIn = make_case_review_model(None)


class CaseReviewOut(BaseModel):
    """The reviews a case review added: one ordinary review per listing, the case named in each note."""

    case_id: int
    review_ids: list[int]
    listing_ids: list[int]
