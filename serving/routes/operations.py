"""Operations routes: liveness, readiness and Prometheus metrics (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from serving.metrics import render_metrics
from serving.schemas import Readiness
from serving.storage.db import is_unavailable

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    """Liveness answer."""

    status: str = Field(description="'ok' while the process is up.")
    model_loaded: bool = Field(description="Whether a model is loaded and scoring is possible.")
    model_version: str | None = Field(description="Version of the loaded model, if any.")


@router.get("/healthz", response_model=Health)
def healthz(request: Request) -> Health:
    """The process is up (it says whether a model is loaded, but answers 200 either way)."""
    predictor = request.app.state.predictor
    return Health(
        status="ok", model_loaded=predictor is not None, model_version=predictor.version if predictor else None
    )


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request) -> JSONResponse:
    """200 when a model is loaded and the database answers, else 503: take this process out of rotation."""
    predictor = request.app.state.predictor
    try:
        request.app.state.db.ping()
        database = True
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        database = False
    ready = predictor is not None and database
    body = Readiness(
        status="ready" if ready else "not ready",
        model_loaded=predictor is not None,
        database=database,
        model_version=predictor.version if predictor else None,
    )
    headers = {} if ready else {"Retry-After": str(request.app.state.settings.retry_after_s)}
    return JSONResponse(status_code=200 if ready else 503, content=body.model_dump(), headers=headers)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics() -> Response:
    """Prometheus exposition: requests and latency by route and status, listings scored, the model version."""
    body, content_type = render_metrics()
    return Response(content=body, media_type=content_type)
