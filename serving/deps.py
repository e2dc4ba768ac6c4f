"""FastAPI dependencies shared by the routes: the model, the database, the settings, the raw body, the scoring
routes' context (all of these a scoring route works with, in one dependency), and the caller (``authenticate``: a
valid key; ``require``: a key of one of the route's roles; ``CrawlerDep`` and the others).
The size limits on bodies and pages are ``serving.limits``; the review page's sign-in check ``serving.ui.pages``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from model.predictor import Predictor
from serving.auth import DEV_PRINCIPAL, Principal
from serving.batching import ScoringBatcher
from serving.case_linker import CaseLinker
from serving.case_setup import ingest_linker
from serving.errors import Forbidden, ServiceUnavailable, Unauthorized
from serving.roles import admitted
from serving.settings import Settings
from serving.storage.api_keys import find_api_key, hash_key
from serving.storage.db import Database


def served_predictor(state: Any) -> Predictor:
    """The Predictor an app's ``state`` serves now, or ``ServiceUnavailable`` (503) when there is none.

    A request holds on to the Predictor it got here, so a reload swapping ``app.state.predictor`` never
    changes the model under a request in flight.
    """
    predictor = state.predictor
    if predictor is None:
        raise ServiceUnavailable("no model is loaded; train one with `make train` and restart or reload")
    return predictor


async def get_predictor(request: Request) -> Predictor:
    """The Predictor now served (``served_predictor``), taken once for the request."""
    return served_predictor(request.app.state)


async def get_database(request: Request) -> Database:
    """This process's database handle."""
    return request.app.state.db


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


async def get_raw_json(request: Request) -> Any:
    """The request body as parsed JSON, as received (None if it is not JSON; validation reports that).

    FastAPI has parsed the body already to validate it, and ``Request.json`` keeps that parse: the body is not
    parsed twice on the event loop.
    """
    try:
        return await request.json()
    except (ValueError, RecursionError):
        return None


PredictorDep = Annotated[Predictor, Depends(get_predictor)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
RawJsonDep = Annotated[Any, Depends(get_raw_json)]


@dataclass(frozen=True, slots=True)
class ScoringContext:
    """What a scoring route works with, read from the app once per request: the model it took, the app's batcher,
    the case linker ingest uses (None when linking is off), the database and the settings.

    One dependency rather than one each, because the crawler's every listing pays FastAPI's bookkeeping per
    dependency (a cache key, a recursive solve), which costs far more than reading these from ``app.state``.
    """

    predictor: Predictor
    batcher: ScoringBatcher
    linker: CaseLinker | None
    db: Database
    settings: Settings


async def scoring_context(request: Request) -> ScoringContext:
    """The scoring context, or ``ServiceUnavailable`` (503) when no model is loaded (``served_predictor``)."""
    state = request.app.state
    return ScoringContext(
        predictor=served_predictor(state),
        batcher=state.batcher,
        linker=ingest_linker(state),
        db=state.db,
        settings=state.settings,
    )


ScoringContextDep = Annotated[ScoringContext, Depends(scoring_context)]


bearer = HTTPBearer(auto_error=False, description="An API key made by `make key ROLE=crawler|reviewer|lead|admin`.")


async def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller, from the bearer key; ``Unauthorized`` if there is none or it is not an active key.

    A key in the cache is checked on the event loop (a hash and a dictionary look-up); only a database look-up
    goes to a worker thread, so that a crawler's every request does not cost a thread hand-off.
    """
    state = request.app.state
    if state.settings.auth_disabled:
        return DEV_PRINCIPAL
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    key = credentials.credentials.strip()
    key_hash = hash_key(key)
    principal = state.key_cache.get(key_hash)
    if principal is None:
        principal = await run_in_threadpool(_look_up_key, state, key)
        state.key_cache.put(key_hash, principal)
    request.state.principal = principal
    return principal


def _look_up_key(state: Any, key: str) -> Principal:
    with state.db.read() as session:
        row = find_api_key(session, key)
        if row is None:
            raise Unauthorized("unknown or revoked API key")
        return Principal.of_key(row)


def require(*roles: str):
    """A dependency admitting the given roles, the roles above them and admin; others get 403."""
    allowed = admitted(*roles)

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role!r} may not do this; needs one of {sorted(allowed)}")
        return principal

    return check


CrawlerDep = Annotated[Principal, Depends(require("crawler"))]
ReviewerDep = Annotated[Principal, Depends(require("reviewer"))]
LeadDep = Annotated[Principal, Depends(require("lead"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]


CallerDep = Annotated[Principal, Depends(authenticate)]
