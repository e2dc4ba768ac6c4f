"""FastAPI dependencies shared by the routes: the model, the database, the settings, the raw body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from model.predictor import Predictor
from serving.errors import ServiceUnavailable
from serving.settings import Settings
from serving.storage.db import Database


async def get_predictor(request: Request) -> Predictor:
    """The Predictor now served, or ``ServiceUnavailable`` (503) when there is none.

    A request holds on to the Predictor it got here, so a reload swapping ``app.state.predictor`` never
    changes the model under a request in flight.
    """
    predictor = request.app.state.predictor
    if predictor is None:
        raise ServiceUnavailable("no model is loaded; train one with `make train` and restart or reload")
    return predictor


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
