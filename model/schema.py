"""The input and output contracts (listing and score) as pydantic models.

Vietnamese text is NFC-normalised here, at the boundary, so nothing downstream sees two encodings of
the same word. Unknown extra fields of a listing are accepted and ignored, as the contract says.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from model.labels import check_labels, load_label_catalog

Priority = Literal["high", "medium", "low"]


def _nfc(value: Any) -> Any:
    """NFC-normalise a string; leave anything else for pydantic to validate."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


class _Contract(BaseModel):
    """Shared config: ignore unknown fields, NFC-normalise every string field."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _normalise_strings(cls, value: Any) -> Any:
        return _nfc(value)


class Seller(_Contract):
    """The seller of a listing, as far as the crawler could see it."""

    id: str | None = Field(default=None, description="The platform's seller or page id.")
    name: str | None = Field(default=None, description="Shop or account display name.")
    account_age_days: int | None = Field(default=None, ge=0, description="Days since the account was created.")
    follower_count: int | None = Field(default=None, ge=0, description="Followers of the shop or page.")
    rating: float | None = Field(default=None, ge=0, le=5, allow_inf_nan=False, description="Average rating, 0–5.")
    listing_count: int | None = Field(default=None, ge=0, description="Listings the seller has online.")
    is_official: bool | None = Field(default=None, description="True for an official / mall / brand store.")
    location: str | None = Field(default=None, description="Where the seller says it is.")


class Listing(_Contract):
    """One online listing as the crawler sends it. Only ``title`` is required."""

    id: str | None = Field(default=None, description="The crawler's own id; echoed back as listing_id.")
    platform: str | None = Field(
        default=None, description="shopee, lazada, tiki, tiktok, facebook, zalo, website, other."
    )
    url: str | None = Field(default=None, description="Where the listing was seen.")
    title: str = Field(min_length=1, description="The listing's title; must contain some non-space text.")
    description: str | None = Field(default=None, description="The listing's body text.")
    price: float | None = Field(default=None, ge=0, allow_inf_nan=False, description="Price in VND.")
    category: str | None = Field(default=None, description="The platform's category path or name, free text.")
    brand: str | None = Field(default=None, description="Brand as the platform or seller states it.")
    seller: Seller | None = Field(default=None, description="Seller metadata; any part may be missing.")
    ships_from: str | None = Field(
        default=None, description="Where the goods ship from, e.g. 'Hà Nội', 'Nước ngoài', 'Trung Quốc'."
    )
    sold_count: int | None = Field(default=None, ge=0, description="Units sold, as shown.")
    image_count: int | None = Field(default=None, ge=0, description="Number of images on the listing.")
    labels: list[str] = Field(
        default_factory=list,
        description="Only in labelled training/evaluation data: the risks the listing carries; [] = clean.",
    )

    @field_validator("title")
    @classmethod
    def _title_has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("title must contain at least one non-space character")
        return value

    @field_validator("labels")
    @classmethod
    def _known_labels(cls, value: list[str]) -> list[str]:
        return check_labels(value, allowed=list(load_label_catalog()))


class Reason(BaseModel):
    """One piece of evidence a reviewer can check: what was seen and why it matters."""

    kind: Literal["term", "metadata", "price"] = Field(description="What kind of evidence this is.")
    label: str | None = Field(default=None, description="The label this evidence supports, if any.")
    text: str = Field(description="The explanation in Vietnamese, for reviewers.")
    evidence: str = Field(description="The matched term as written in the listing, or the metadata value.")
    weight: float = Field(description="How much this evidence moved the score (model units, > 0).")
    normalized: str | None = Field(default=None, description="The matched term's normalised (lexicon) form.")
    category: str | None = Field(default=None, description="The risk lexicon category of a matched term.")
    legal_basis: list[str] = Field(default_factory=list, description="Legal basis of the lexicon category.")


class Score(BaseModel):
    """What scoring one listing returns."""

    listing_id: str | None = Field(description="The id sent with the listing (null if none was sent).")
    model_version: str = Field(description="Version id of the model that produced this score.")
    risk: float = Field(ge=0, le=1, description="Calibrated probability that at least one risk is present.")
    probabilities: dict[str, float] = Field(description="Calibrated probability per label, each in [0, 1].")
    flagged: list[str] = Field(description="Labels whose probability passes that label's threshold.")
    priority: Priority = Field(description="high, medium or low, from risk; the review queue's order.")
    reasons: list[Reason] = Field(default_factory=list, description="Evidence for reviewers, strongest first.")


def make_batch_request_model(max_listings: int) -> type[BaseModel]:
    """A batch request model whose size limit is set at app creation and shown in the OpenAPI docs."""

    class BatchRequest(BaseModel):
        """Several listings scored in one call; results come back in the same order."""

        listings: Annotated[
            list[Listing],
            Field(min_length=1, max_length=max_listings, description=f"1 to {max_listings} listings."),
        ]

    return BatchRequest


class BatchResponse(BaseModel):
    """Scores of a batch, in the order the listings were sent."""

    results: list[Score]


def bound_description(listing: Listing, max_chars: int) -> Listing:
    """The listing as the model reads it: at most ``max_chars`` of its description (the snapshot keeps it all).

    The API and ``rescore`` both score through this, so a rescored listing gets the score the API would give it.
    """
    if listing.description and len(listing.description) > max_chars:
        return listing.model_copy(update={"description": listing.description[:max_chars]})
    return listing
