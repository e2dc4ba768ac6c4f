"""The input and output contracts (listing and score) as pydantic models, and the listing's limits.

Vietnamese text is NFC-normalised here, at the boundary, so nothing downstream sees two encodings of
the same word. Unknown extra fields of a listing are accepted and ignored by the model, as the contract says,
but they are kept in the stored snapshot, so they are bounded too (depth, count, string length).

Every free-text field has a documented maximum (below; the service sets the title's and the description's in
``serving/settings.py``), numbers are range-checked and strictly typed (``"1500000"`` is not a price: a string
where a number belongs is refused, never coerced, so what is stored is what every page can render), and no string
may hold a NUL character or a lone surrogate (neither can be stored as text). Each refusal names its field.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from model.folding import nfc
from model.labels import check_labels, load_label_catalog

Priority = Literal["high", "medium", "low"]
PRIORITIES: tuple[str, ...] = get_args(Priority)  # highest first
PLATFORMS = ("shopee", "lazada", "tiki", "tiktok", "facebook", "zalo", "website", "other")  # those the model knows

# The listing contract's limits, in one place (the README lists them; serving builds its request models on them).
MAX_ID_CHARS = 256  # the crawler's listing id and the seller id
MAX_PLATFORM_CHARS = 64  # the width of the stored platform column
MAX_URL_CHARS = 2_048
MAX_CATEGORY_CHARS = 500
MAX_BRAND_CHARS = 200
MAX_NAME_CHARS = 256  # seller name and location
MAX_SHIPS_FROM_CHARS = 200
MAX_COUNT = 2**63 - 1  # counts fit a signed 64-bit integer
MAX_PRICE_VND = 1e12  # a thousand billion đồng: far above any goods listing, far below float trouble
MAX_LABELS = 16
# Unknown fields, kept in the stored snapshot: nesting below the listing, values (counted through the nesting),
# characters of one string or one field name.
MAX_EXTRA_DEPTH = 8
MAX_EXTRA_VALUES = 1_000
MAX_EXTRA_STRING_CHARS = 10_000
MAX_FIELD_NAME_CHARS = 128

# NUL cannot be stored in PostgreSQL text, and a lone surrogate cannot be encoded as UTF-8 at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable_text(value: str) -> bool:
    """Whether a string can be stored as text: no NUL character, no lone surrogate."""
    return _UNSTORABLE.search(value) is None


def check_text(value: str) -> str:
    """NFC of a string that can be stored as text; ``PydanticCustomError`` for a NUL or a lone surrogate."""
    found = _UNSTORABLE.search(value)
    if found is not None:
        what = "a NUL character" if found.group() == "\x00" else "a lone surrogate (not valid UTF-8)"
        raise PydanticCustomError("unstorable_text", f"text must not contain {what}")
    return nfc(value)


def _nfc(value: Any) -> Any:
    """NFC-normalise a storable string (or each string of a list); leave anything else for pydantic."""
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, list):
        return [check_text(item) if isinstance(item, str) else item for item in value]
    return value


def _field_name(name: object) -> str:
    """A field name as shown in an error's path: bounded, and escaped where it could not be encoded or stored."""
    text = str(name)
    text = text if len(text) <= 40 else text[:40] + "…"
    if not is_storable_text(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text


def _extra_error(kind: str, message: str, path: list[str]) -> PydanticCustomError:
    """An error about an unknown field; ``ctx.field`` is its path below the listing (serving adds it to ``loc``)."""
    field = ".".join(path)
    return PydanticCustomError(kind, f"unknown field {{field}}: {message}", {"field": field})


def check_extra(value: Any, path: list[str], budget: list[int]) -> None:
    """Refuse an unknown field's value that could not be stored and shown back: too deep, too many values,
    too long, a non-finite number, a NUL or a lone surrogate. ``budget`` is the values left for the listing."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _extra_error("extra_too_large", f"more than {MAX_EXTRA_VALUES} values in unknown fields", path)
    if len(path) > MAX_EXTRA_DEPTH and isinstance(value, dict | list):
        raise _extra_error("extra_too_deep", f"nested deeper than {MAX_EXTRA_DEPTH} levels", path)
    if isinstance(value, str):
        if len(value) > MAX_EXTRA_STRING_CHARS:
            raise _extra_error("extra_too_long", f"longer than {MAX_EXTRA_STRING_CHARS} characters", path)
        if _UNSTORABLE.search(value):
            raise _extra_error("unstorable_text", "a NUL character or a lone surrogate", path)
    elif isinstance(value, float) and not math.isfinite(value):
        raise _extra_error("finite_number", "NaN and infinities are not JSON numbers", path)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_field_name(key, path)
            check_extra(item, [*path, _field_name(key)], budget)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_extra(item, [*path, str(index)], budget)


def check_field_name(key: object, path: list[str]) -> None:
    """Refuse a field name that is too long or not storable text."""
    if not isinstance(key, str) or len(key) > MAX_FIELD_NAME_CHARS or _UNSTORABLE.search(key):
        raise _extra_error(
            "extra_field_name",
            f"a field name must be text of at most {MAX_FIELD_NAME_CHARS} characters, without NUL or lone surrogates",
            [*path, _field_name(key)],
        )


class _Contract(BaseModel):
    """Shared config: ignore (but bound) unknown fields, NFC-normalise every string field and refuse unstorable
    text."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _normalise_strings(cls, value: Any) -> Any:
        return _nfc(value)

    @model_validator(mode="before")
    @classmethod
    def _bound_unknown_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            budget = [MAX_EXTRA_VALUES]
            for key, value in data.items():
                if key not in cls.model_fields:
                    check_field_name(key, [])
                    check_extra(value, [_field_name(key)], budget)
        return data


def _text(max_chars: int, description: str) -> Any:
    return Field(default=None, max_length=max_chars, description=f"{description} At most {max_chars} characters.")


def _count(description: str) -> Any:
    return Field(default=None, ge=0, le=MAX_COUNT, strict=True, description=f"{description} An integer, 0 to 2⁶³−1.")


class Seller(_Contract):
    """The seller of a listing, as far as the crawler could see it."""

    id: str | None = _text(MAX_ID_CHARS, "The platform's seller or page id.")
    name: str | None = _text(MAX_NAME_CHARS, "Shop or account display name.")
    account_age_days: int | None = _count("Days since the account was created.")
    follower_count: int | None = _count("Followers of the shop or page.")
    rating: float | None = Field(
        default=None, ge=0, le=5, strict=True, allow_inf_nan=False, description="Average rating, a number 0–5."
    )
    listing_count: int | None = _count("Listings the seller has online.")
    is_official: bool | None = Field(
        default=None, strict=True, description="true for an official / mall / brand store (a JSON boolean)."
    )
    location: str | None = _text(MAX_NAME_CHARS, "Where the seller says it is.")


class Listing(_Contract):
    """One online listing as the crawler sends it. Only ``title`` is required."""

    id: str | None = _text(MAX_ID_CHARS, "The crawler's own id; echoed back as listing_id.")
    platform: str | None = _text(MAX_PLATFORM_CHARS, "shopee, lazada, tiki, tiktok, facebook, zalo, website, other.")
    url: str | None = _text(MAX_URL_CHARS, "Where the listing was seen.")
    title: str = Field(min_length=1, description="The listing's title; must contain some non-space text.")
    description: str | None = Field(default=None, description="The listing's body text.")
    price: float | None = Field(
        default=None,
        ge=0,
        le=MAX_PRICE_VND,
        strict=True,
        allow_inf_nan=False,
        description="Price in VND: a JSON number from 0 to 10¹² (1.000.000.000.000 ₫).",
    )
    category: str | None = _text(MAX_CATEGORY_CHARS, "The platform's category path or name, free text.")
    brand: str | None = _text(MAX_BRAND_CHARS, "Brand as the platform or seller states it.")
    seller: Seller | None = Field(default=None, description="Seller metadata; any part may be missing.")
    ships_from: str | None = _text(
        MAX_SHIPS_FROM_CHARS, "Where the goods ship from, e.g. 'Hà Nội', 'Nước ngoài', 'Trung Quốc'."
    )
    sold_count: int | None = _count("Units sold, as shown.")
    image_count: int | None = _count("Number of images on the listing.")
    labels: list[str] = Field(
        default_factory=list,
        max_length=MAX_LABELS,
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
    read_truncated: bool = Field(
        default=False,
        description="True when the listing's text was longer than the reading budget (SOI_MAX_READ_MS) allows: "
        "only its beginning was read, and a reason says so.",
    )


def bound_description(listing: Listing, max_chars: int) -> Listing:
    """The listing as the model reads it: at most ``max_chars`` of its description (the snapshot keeps it all).

    The API and ``rescore`` both score through this, so a rescored listing gets the score the API would give it.
    """
    if listing.description and len(listing.description) > max_chars:
        return listing.model_copy(update={"description": listing.description[:max_chars]})
    return listing
