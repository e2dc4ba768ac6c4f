"""The FastAPI app, built by ``create_app(settings)``; the model is loaded and the database migrated in the
lifespan, never at import. ``app_from_env`` is the factory uvicorn workers call."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from model import __version__
from model.errors import ArtifactError
from model.transformer_scorer import onnx_threads
from serving.auth import KeyCache
from serving.batching import ScoringBatcher
from serving.case_setup import install_cases
from serving.errors import install_error_handlers
from serving.heap import freeze_long_lived
from serving.limits import RequestModels, document_limits
from serving.logs import configure_logging
from serving.metrics import set_model_version
from serving.middleware import RequestContextMiddleware
from serving.reloads import ModelFollower, load_predictor
from serving.routes import admin, cases, operations, reviews, scoring, team
from serving.scoring import score_and_store
from serving.secrets import resolve_secret
from serving.settings import Settings, get_settings
from serving.storage.db import Database
from serving.storage.migrate import upgrade_database
from serving.ui.routes import install_review_page

log = logging.getLogger("soi.serving")

DESCRIPTION = """Risk scores for Vietnamese online listings: counterfeit, smuggled and prohibited goods.

Every route but the operations ones needs `Authorization: Bearer <key>` (make one with `make key ROLE=...`):
`crawler` scores, `reviewer` reads the queue and listings, claims them and submits reviews, `lead` also decides
disputed reviews and reads reviewers' statistics, `admin` may do everything.
Reviewers can also use the review page at `/review` (sign in with a reviewer key)."""


def _load_model(app: FastAPI, settings: Settings) -> None:
    try:
        app.state.predictor = load_predictor(
            settings.model_path, max_read_ms=settings.max_read_ms, threads=onnx_threads(settings.workers)
        )
    except ArtifactError as exc:
        log.error("no model loaded, scoring will answer 503: %s", exc)
        return
    set_model_version(None, app.state.predictor.version)
    log.info("model loaded: %s from %s", app.state.predictor.version, app.state.predictor.model_dir)


def _start_batcher(app: FastAPI, settings: Settings) -> ScoringBatcher:
    score_batch = partial(score_and_store, db=app.state.db, settings=settings)
    batcher = ScoringBatcher(
        score_batch,
        wait_ms=settings.batch_wait_ms,
        max_listings=settings.batch_max_listings,
        max_queued=settings.batch_max_queued,
    )
    batcher.start()
    return batcher


def create_app(settings: Settings, *, freeze_heap: bool = False) -> FastAPI:
    """Build the app for the given settings; ``freeze_heap`` (the served process's app) freezes the long-lived
    objects out of the garbage collector's walks once the model has loaded and after each reload (``serving.heap``).
    """
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # scoring threads hold the interpreter lock; the event loop (operations routes) gets it back sooner
        sys.setswitchinterval(settings.switch_interval_ms / 1000)
        if settings.auth_disabled:
            log.warning(
                "AUTHENTICATION IS DISABLED (SOI_AUTH_DISABLED=1): every request is treated as an admin. "
                "Development only: never expose this process to a network."
            )
        if settings.migrate_on_start:
            # fail fast: a process that cannot reach or migrate its database should not start serving
            upgrade_database(app.state.db.engine)
        app.state.session_secret = resolve_secret(settings, "session_secret")
        _load_model(app, settings)
        follower = ModelFollower(
            app.state,
            app.state.db,
            model_path=settings.model_path,
            poll_s=settings.reload_poll_s,
            max_read_ms=settings.max_read_ms,
            threads=onnx_threads(settings.workers),  # the workers share the machine's cores
            freeze_heap=freeze_heap,
        )
        follower.start()
        app.state.model_follower = follower
        app.state.batcher = _start_batcher(app, settings)
        if freeze_heap:
            freeze_long_lived()
        yield
        await app.state.batcher.stop(drain_s=settings.batch_drain_s)
        follower.stop()
        app.state.db.dispose()

    app = FastAPI(title="Soi", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.predictor = None
    app.state.db = Database(settings)  # connects lazily, on first use
    app.state.key_cache = KeyCache(settings.auth_cache_s)
    install_error_handlers(app, retry_after_s=settings.retry_after_s)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    app.state.request_models = RequestModels.for_settings(settings)
    for router in (operations.router, scoring.router, reviews.router, team.router, admin.router, cases.router):
        app.include_router(router)
    document_limits(app, app.state.request_models)
    install_cases(app, settings)
    install_review_page(app)
    return app


def app_from_env() -> FastAPI:
    """The app for settings from the environment: the uvicorn factory ``python -m serving run`` serves (a whole
    process of its own, so it freezes its long-lived heap)."""
    return create_app(get_settings(), freeze_heap=True)
