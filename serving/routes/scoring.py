"""Scoring routes for the crawler: one listing or a batch, stored as scored unless it is a dry run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from serving.deps import CallerDep, CrawlerDep, PredictorDep, RawJsonDep, ScoringContextDep, SettingsDep
from serving.limits import BatchBody, ListingBody
from serving.schemas import StoredBatchResponse, StoredScore, error_responses
from serving.scoring import score_and_store

DryRun = Annotated[bool, Query(description="Score without storing anything (the listing is not added to the queue).")]


class ModelInfo(BaseModel):
    """What the loaded model predicts and how it decides."""

    model_version: str
    labels: list[str]
    thresholds: dict[str, float]
    priority_cutoffs: dict[str, float]
    max_batch_listings: int


def _json(body: BaseModel, headers: dict[str, str] | None = None) -> Response:
    # serialised once, straight from the models the predictor built: through response_model, FastAPI would
    # dump, re-validate and dump every reason of every listing again
    return Response(content=body.model_dump_json(), media_type="application/json", headers=headers)


router = APIRouter(tags=["scoring"], responses=error_responses(401, 403, 413, 503))


@router.get("/v1/model", response_model=ModelInfo)
def model_info(predictor: PredictorDep, settings: SettingsDep, _caller: CallerDep) -> ModelInfo:
    """The loaded model's version, labels, thresholds and priority cutoffs (any valid key)."""
    return ModelInfo(
        model_version=predictor.version,
        labels=list(predictor.labels),
        thresholds=predictor.thresholds,
        priority_cutoffs={"high": predictor.cutoffs.high, "medium": predictor.cutoffs.medium},
        max_batch_listings=settings.max_batch_listings,
    )


@router.post("/v1/score", response_model=StoredScore)
async def score(
    raw: RawJsonDep,
    context: ScoringContextDep,
    _caller: CrawlerDep,
    listing: ListingBody,  # last, as a body is checked after every other dependency (the caller's key first)
    dry_run: DryRun = False,
) -> Response:
    """Score one listing and store its snapshot and score; ``X-Soi-Listing-Id`` names the stored listing.

    Concurrent requests are scored and stored together (``serving.batching``), each answered with its own result.
    """
    result = await context.batcher.score(
        listing, raw, predictor=context.predictor, linker=context.linker, dry_run=dry_run
    )
    headers = {} if result.stored_listing_id is None else {"X-Soi-Listing-Id": str(result.stored_listing_id)}
    return _json(result, headers)


@router.post("/v1/score/batch", response_model=StoredBatchResponse)
def score_batch(
    raw: RawJsonDep,
    context: ScoringContextDep,
    _caller: CrawlerDep,
    request_body: BatchBody,
    dry_run: DryRun = False,
) -> Response:
    """Score up to ``max_batch_listings`` listings, stored in one transaction; results in the order sent."""
    listings = request_body.listings
    raws = raw.get("listings", []) if isinstance(raw, dict) else []
    if len(raws) != len(listings):
        raws = [None] * len(listings)
    results = score_and_store(
        listings,
        raws,
        predictor=context.predictor,
        db=context.db,
        settings=context.settings,
        dry_run=dry_run,
        linker=context.linker,
    )
    return _json(StoredBatchResponse.model_construct(results=results))
