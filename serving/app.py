"""The FastAPI app, built by ``create_app(settings)``; the model is loaded in the lifespan, not at import."""

# No `from __future__ import annotations` here: FastAPI must see the batch model built inside create_app.
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from model.errors import ArtifactError, SoiError
from model.predictor import Predictor
from model.schema import BatchResponse, Listing, Score, make_batch_request_model
from serving.deps import PredictorDep, ServiceUnavailable
from serving.settings import Settings

log = logging.getLogger("soi.serving")


class Health(BaseModel):
    """Liveness answer."""

    status: str = Field(description="'ok' while the process is up.")
    model_loaded: bool = Field(description="Whether a model is loaded and scoring is possible.")
    model_version: str | None = Field(description="Version of the loaded model, if any.")


class ModelInfo(BaseModel):
    """What the loaded model predicts and how it decides."""

    model_version: str
    labels: list[str]
    thresholds: dict[str, float]
    priority_cutoffs: dict[str, float]
    max_batch_listings: int


def _error_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """A 422 body that names each problem's field path and says what was wrong, without echoing input."""
    detail = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        detail.append(
            {
                "field": ".".join(loc[1:] if loc and loc[0] == "body" else loc) or "(body)",
                "loc": loc,
                "msg": error.get("msg", ""),
                "type": error.get("type", ""),
            }
        )
    return {"detail": detail}


def create_app(settings: Settings) -> FastAPI:
    """Build the app for the given settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.predictor = None
        try:
            app.state.predictor = Predictor.load(settings.model_path)
            log.info("model loaded: %s from %s", app.state.predictor.version, app.state.predictor.model_dir)
        except ArtifactError as exc:
            log.error("no model loaded, scoring will answer 503: %s", exc)
        yield

    app = FastAPI(
        title="Soi",
        version="0.1.0",
        description="Risk scores for Vietnamese online listings: counterfeit, smuggled and prohibited goods.",
        lifespan=lifespan,
    )
    batch_request_model = make_batch_request_model(settings.max_batch_listings)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=_error_body(list(exc.errors())))

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(_request: Request, exc: ServiceUnavailable) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)}, headers={"Retry-After": "30"})

    @app.exception_handler(SoiError)
    async def _domain_error(_request: Request, exc: SoiError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": [{"field": "(body)", "msg": str(exc)}]})

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz(request: Request) -> Health:
        """Process liveness, and whether a model is loaded."""
        predictor = request.app.state.predictor
        return Health(
            status="ok",
            model_loaded=predictor is not None,
            model_version=predictor.version if predictor else None,
        )

    @app.get("/v1/model", response_model=ModelInfo, tags=["scoring"])
    def model_info(predictor: PredictorDep) -> ModelInfo:
        """The loaded model's version, labels, thresholds and priority cutoffs."""
        return ModelInfo(
            model_version=predictor.version,
            labels=list(predictor.labels),
            thresholds=predictor.thresholds,
            priority_cutoffs={"high": predictor.cutoffs.high, "medium": predictor.cutoffs.medium},
            max_batch_listings=settings.max_batch_listings,
        )

    @app.post("/v1/score", response_model=Score, tags=["scoring"])
    def score(listing: Annotated[Listing, Body()], predictor: PredictorDep) -> Score:
        """Score one listing: calibrated per-label probabilities, overall risk, priority and reasons."""
        return predictor.score([listing])[0]

    @app.post("/v1/score/batch", response_model=BatchResponse, tags=["scoring"])
    def score_batch(request_body: Annotated[batch_request_model, Body()], predictor: PredictorDep) -> BatchResponse:  # type: ignore[valid-type]
        """Score up to ``max_batch_listings`` listings; results are in the order sent."""
        return BatchResponse(results=predictor.score(request_body.listings))

    return app
