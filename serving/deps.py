"""FastAPI dependencies shared by the routes."""

from typing import Annotated

from fastapi import Depends, Request

from model.predictor import Predictor


class ServiceUnavailable(Exception):
    """The service cannot score right now (no model loaded)."""


def get_predictor(request: Request) -> Predictor:
    """The loaded Predictor, or ``ServiceUnavailable`` (answered as 503) when there is none."""
    predictor = request.app.state.predictor
    if predictor is None:
        raise ServiceUnavailable("no model is loaded; train one with `make train` and restart")
    return predictor


PredictorDep = Annotated[Predictor, Depends(get_predictor)]
