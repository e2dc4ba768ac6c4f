"""The size limits the settings put on requests, held per app although the routers are built once.

The routers are module-level (``serving.routes``), so the body models they declare carry no per-app limit:
FastAPI validates a body with those (``model.schema.Listing``, ``serving.schemas.BatchRequest``,
``ReviewIn``, ``CaseReviewIn``), and the dependencies here hold it to this app's limits. A body within them costs
a length check; one beyond them is validated again with the app's own model (``RequestModels``), so the 422
names every problem as that model does. Page sizes are checked the same way, and ``document_limits`` writes the
app's limits into its OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from model.schema import Listing
from serving.case_schemas import CaseReviewIn, make_case_review_model
from serving.deps import RawJsonDep
from serving.schemas import BatchRequest, ReviewIn, make_batch_model, make_listing_model, make_review_model
from serving.settings import Settings

# A page-size parameter's schema carries this until ``document_limits`` replaces it with the app's maximum.
PAGE_SIZE_MARK = "x-soi-page-size"


@dataclass(frozen=True)
class RequestModels:
    """The request models with this app's limits, and the limits themselves."""

    settings: Settings
    listing: type[Listing]
    batch: type[BaseModel]
    review: type[BaseModel]
    case_review: type[BaseModel]

    @classmethod
    def for_settings(cls, settings: Settings) -> RequestModels:
        """The models for these settings."""
        listing = make_listing_model(
            max_title_chars=settings.max_title_chars, max_description_chars=settings.max_description_chars
        )
        return cls(
            settings=settings,
            listing=listing,
            batch=make_batch_model(listing, settings.max_batch_listings),
            review=make_review_model(settings.max_note_chars),
            case_review=make_case_review_model(settings.max_note_chars),
        )

    def listing_fits(self, listing: Listing, raw: Any) -> bool:
        """Whether a listing (as validated and as sent) is within the title and description limits."""
        sent = raw if isinstance(raw, dict) else {}
        return not _too_long([listing.title, sent.get("title")], self.settings.max_title_chars) and not _too_long(
            [listing.description, sent.get("description")], self.settings.max_description_chars
        )


def _too_long(texts: Iterable[object], limit: int) -> bool:
    return any(isinstance(text, str) and len(text) > limit for text in texts)


async def request_models(request: Request) -> RequestModels:
    """The app's request models (``create_app`` builds them)."""
    return request.app.state.request_models


RequestModelsDep = Annotated[RequestModels, Depends(request_models)]


def _held_to(model: type[BaseModel], value: Any, raw: Any, *, fits: bool) -> Any:
    """``value`` when it fits, else ``raw`` validated by the app's model: its result, or its 422."""
    if fits:
        return value
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]) from None


async def listing_body(listing: Annotated[Listing, Body()], raw: RawJsonDep, models: RequestModelsDep) -> Listing:
    """The listing sent, within the app's title and description limits (422 otherwise)."""
    return _held_to(models.listing, listing, raw, fits=models.listing_fits(listing, raw))


async def batch_body(batch: Annotated[BatchRequest, Body()], raw: RawJsonDep, models: RequestModelsDep) -> BaseModel:
    """The batch sent, within the app's batch size and listing limits (422 otherwise)."""
    listings = batch.listings
    sent = raw.get("listings") if isinstance(raw, dict) else None
    sent = sent if isinstance(sent, list) and len(sent) == len(listings) else [None] * len(listings)
    fits = len(listings) <= models.settings.max_batch_listings and all(
        models.listing_fits(listing, one) for listing, one in zip(listings, sent, strict=True)
    )
    return _held_to(models.batch, batch, raw, fits=fits)


def _note_fits(review: BaseModel, raw: Any, models: RequestModels) -> bool:
    sent = raw.get("note") if isinstance(raw, dict) else None
    return not _too_long([review.note, sent], models.settings.max_note_chars)  # type: ignore[attr-defined]


async def review_body(review: Annotated[ReviewIn, Body()], raw: RawJsonDep, models: RequestModelsDep) -> BaseModel:
    """A listing review, its note within the app's limit (422 otherwise)."""
    return _held_to(models.review, review, raw, fits=_note_fits(review, raw, models))


async def case_review_body(
    review: Annotated[CaseReviewIn, Body()], raw: RawJsonDep, models: RequestModelsDep
) -> BaseModel:
    """A case review, its note within the app's limit (422 otherwise)."""
    return _held_to(models.case_review, review, raw, fits=_note_fits(review, raw, models))


ListingBody = Annotated[Listing, Depends(listing_body)]
BatchBody = Annotated[BatchRequest, Depends(batch_body)]
ReviewBody = Annotated[ReviewIn, Depends(review_body)]
CaseReviewBody = Annotated[CaseReviewIn, Depends(case_review_body)]


@cache
def _at_most(maximum: int) -> TypeAdapter[int]:
    return TypeAdapter(Annotated[int, Field(le=maximum)])


def page_size_at_most(maximum: int, value: int, name: str) -> int:
    """``value`` when it is at most ``maximum``; else pydantic's own 422 for the query parameter ``name``."""
    try:
        return _at_most(maximum).validate_python(value)
    except ValidationError as exc:
        raise RequestValidationError([{**error, "loc": ("query", name)} for error in exc.errors()]) from None


async def page_size(
    models: RequestModelsDep,
    limit: Annotated[int, Query(ge=1, description="Page size.", json_schema_extra={PAGE_SIZE_MARK: True})] = 50,
) -> int:
    """The ``limit`` query parameter: 1 to ``SOI_QUEUE_MAX_PAGE`` (422 otherwise)."""
    return page_size_at_most(models.settings.queue_max_page, limit, "limit")


async def claim_count(
    models: RequestModelsDep,
    n: Annotated[
        int, Query(ge=1, description="How many listings to claim.", json_schema_extra={PAGE_SIZE_MARK: True})
    ] = 1,
) -> int:
    """The ``n`` query parameter of a claim: 1 to ``SOI_QUEUE_MAX_PAGE`` (422 otherwise)."""
    return page_size_at_most(models.settings.queue_max_page, n, "n")


PageSizeDep = Annotated[int, Depends(page_size)]
ClaimCountDep = Annotated[int, Depends(claim_count)]


def document_limits(app: FastAPI, models: RequestModels) -> None:
    """Make ``app``'s OpenAPI schema show its own limits: the request models built for its settings, and the
    maximum of every page-size parameter."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _write_limits(generate(), models)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _write_limits(schema: dict[str, Any], models: RequestModels) -> None:
    components = schema["components"]["schemas"]
    own = {"Listing": models.listing, "BatchRequest": models.batch, "ReviewIn": models.review}
    own["CaseReviewIn"] = models.case_review
    for name, model in own.items():
        written = model.model_json_schema(ref_template="#/components/schemas/{model}")
        written.pop("$defs", None)
        components[name] = written
    for path in schema["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["schema"].pop(PAGE_SIZE_MARK, None):
                    parameter["schema"]["maximum"] = models.settings.queue_max_page
