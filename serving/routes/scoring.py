"""Scoring routes for the crawler: one listing or a batch, stored as scored unless it is a dry run."""

# No `from __future__ import annotations`: FastAPI must see the request models built inside build_router.
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel

from model.predictor import Predictor
from model.schema import Listing, bound_description
from serving.auth import CrawlerDep, Principal, authenticate
from serving.case_setup import OptionalLinkerDep
from serving.cases import CaseLinker
from serving.deps import DatabaseDep, PredictorDep, RawJsonDep
from serving.metrics import LISTINGS_SCORED
from serving.schemas import StoredBatchResponse, StoredScore, error_responses, make_batch_model, make_listing_model
from serving.settings import Settings
from serving.storage.db import Database
from serving.storage.models import utc_now
from serving.storage.repository import ScoredListing, store_scored

DryRun = Annotated[bool, Query(description="Score without storing anything (the listing is not added to the queue).")]


class ModelInfo(BaseModel):
    """What the loaded model predicts and how it decides."""

    model_version: str
    labels: list[str]
    thresholds: dict[str, float]
    priority_cutoffs: dict[str, float]
    max_batch_listings: int


def score_and_store(
    listings: list[Listing],
    raws: list[Any],
    *,
    predictor: Predictor,
    db: Database,
    settings: Settings,
    dry_run: bool,
    linker: CaseLinker | None = None,
) -> list[StoredScore]:
    """Score (the model reads a bounded description), then store everything in one transaction."""
    scores = predictor.score([bound_description(listing, settings.model_description_chars) for listing in listings])
    stored_ids: list[int | None] = [None] * len(scores)
    if not dry_run:
        items = [
            ScoredListing(
                raw=raw if isinstance(raw, dict) else listing.model_dump(mode="json"), listing=listing, score=s
            )
            for raw, listing, s in zip(raws, listings, scores, strict=True)
        ]
        fingerprints = linker.fingerprint(listings) if linker else []  # CPU work, outside the transaction
        with db.write() as session:
            stored_ids = list(store_scored(session, items, thresholds=predictor.thresholds, now=utc_now()))
            if linker:
                linker.link(session, stored_ids, fingerprints)
    for priority, count in Counter(s.priority for s in scores).items():
        LISTINGS_SCORED.labels(priority=priority, model_version=predictor.version).inc(count)
    return [
        StoredScore.model_construct(**dict(s), stored_listing_id=listing_id)
        for s, listing_id in zip(scores, stored_ids, strict=True)
    ]


def _json(body: BaseModel, headers: dict[str, str] | None = None) -> Response:
    # serialised once, straight from the models the predictor built: through response_model, FastAPI would
    # dump, re-validate and dump every reason of every listing again
    return Response(content=body.model_dump_json(), media_type="application/json", headers=headers)


def build_router(settings: Settings) -> APIRouter:
    """The scoring routes, with request models carrying this app's limits."""
    router = APIRouter(tags=["scoring"], responses=error_responses(401, 403, 413, 503))
    listing_model = make_listing_model(
        max_title_chars=settings.max_title_chars, max_description_chars=settings.max_description_chars
    )
    batch_model = make_batch_model(listing_model, settings.max_batch_listings)

    @router.get("/v1/model", response_model=ModelInfo)
    def model_info(predictor: PredictorDep, _caller: Annotated[Principal, Depends(authenticate)]) -> ModelInfo:
        """The loaded model's version, labels, thresholds and priority cutoffs (any valid key)."""
        return ModelInfo(
            model_version=predictor.version,
            labels=list(predictor.labels),
            thresholds=predictor.thresholds,
            priority_cutoffs={"high": predictor.cutoffs.high, "medium": predictor.cutoffs.medium},
            max_batch_listings=settings.max_batch_listings,
        )

    @router.post("/v1/score", response_model=StoredScore)
    def score(
        listing: Annotated[listing_model, Body()],  # type: ignore[valid-type]
        raw: RawJsonDep,
        predictor: PredictorDep,
        db: DatabaseDep,
        _caller: CrawlerDep,
        linker: OptionalLinkerDep,
        dry_run: DryRun = False,
    ) -> Response:
        """Score one listing and store its snapshot and score; ``X-Soi-Listing-Id`` names the stored listing."""
        result = score_and_store(
            [listing], [raw], predictor=predictor, db=db, settings=settings, dry_run=dry_run, linker=linker
        )[0]
        headers = {} if result.stored_listing_id is None else {"X-Soi-Listing-Id": str(result.stored_listing_id)}
        return _json(result, headers)

    @router.post("/v1/score/batch", response_model=StoredBatchResponse)
    def score_batch(
        request_body: Annotated[batch_model, Body()],  # type: ignore[valid-type]
        raw: RawJsonDep,
        predictor: PredictorDep,
        db: DatabaseDep,
        _caller: CrawlerDep,
        linker: OptionalLinkerDep,
        dry_run: DryRun = False,
    ) -> Response:
        """Score up to ``max_batch_listings`` listings, stored in one transaction; results in the order sent."""
        listings = request_body.listings
        raws = raw.get("listings", []) if isinstance(raw, dict) else []
        if len(raws) != len(listings):
            raws = [None] * len(listings)
        results = score_and_store(
            listings, raws, predictor=predictor, db=db, settings=settings, dry_run=dry_run, linker=linker
        )
        return _json(StoredBatchResponse.model_construct(results=results))

    return router
