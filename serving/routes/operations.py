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


# async: it touches nothing but memory, so it answers on the event loop, never waiting for a thread while every
# worker thread is scoring
@router.get("/healthz", response_model=Health)
async def healthz(request: Request) -> Health:
    """The process is up (it says whether a model is loaded, but answers 200 either way)."""
    predictor = request.app.state.predictor
    return Health(
        status="ok", model_loaded=predictor is not None, model_version=predictor.version if predictor else None
    )


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request) -> JSONResponse:
    """200 when a model is loaded and the database answers and can take a write (a probe row inserted and rolled
    back; a SQLite file's disk has ``SOI_MIN_FREE_DISK_MB`` free), else 503: take this process out of rotation."""
    predictor = request.app.state.predictor
    settings = request.app.state.settings
    problem = None
    try:  # the write probe is also the "does it answer" check: one round of queries, not two
        problem = request.app.state.db.write_problem(min_free_bytes=settings.min_free_disk_mb * 2**20)
        database = True
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        database = False
    ready = predictor is not None and database and problem is None
    body = Readiness(
        status="ready" if ready else "not ready",
        model_loaded=predictor is not None,
        database=database,
        database_writable=database and problem is None,
        problem=problem if database else "the database does not answer",
        model_version=predictor.version if predictor else None,
    )
    headers = {} if ready else {"Retry-After": str(settings.retry_after_s)}
    return JSONResponse(status_code=200 if ready else 503, content=body.model_dump(), headers=headers)


# async, like /healthz: rendering the samples is a millisecond of work in memory, done on the event loop rather than
# waiting for a worker thread while every one of them is scoring
@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics() -> Response:
    """Prometheus exposition: requests and latency by route and status, listings scored, the model version."""
    body, content_type = render_metrics()
    return Response(content=body, media_type=content_type)
