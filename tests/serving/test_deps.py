"""The scoring context: what the scoring routes take from the app, once per request."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from serving.deps import ScoringContext, scoring_context
from serving.errors import ServiceUnavailable


def _request(*, predictor: object, linking: bool) -> SimpleNamespace:
    state = SimpleNamespace(
        predictor=predictor,
        batcher=object(),
        case_linker=object(),
        db=object(),
        settings=SimpleNamespace(linking=linking),
    )
    return SimpleNamespace(app=SimpleNamespace(state=state))


def _context(request: SimpleNamespace) -> ScoringContext:
    return asyncio.run(scoring_context(request))  # type: ignore[arg-type]


def test_the_context_keeps_the_model_it_took_when_a_reload_swaps_it() -> None:
    request = _request(predictor="model-1", linking=True)
    state = request.app.state
    context = _context(request)
    state.predictor = "model-2"
    assert context.predictor == "model-1"
    assert (context.batcher, context.linker, context.db, context.settings) == (
        state.batcher,
        state.case_linker,
        state.db,
        state.settings,
    )


def test_with_linking_off_scoring_gets_no_linker() -> None:
    assert _context(_request(predictor="model", linking=False)).linker is None


def test_without_a_model_the_context_is_503() -> None:
    with pytest.raises(ServiceUnavailable, match="make train"):
        _context(_request(predictor=None, linking=True))
