"""Freezing the long-lived heap (``serving.heap``): everything alive is frozen, and what an earlier freeze held is
collected once it is garbage."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.heap import freeze_long_lived
from serving.settings import Settings, get_settings
from tests.serving.conftest import make_database_url
from training.train import TrainResult


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def test_freeze_and_collect_what_an_earlier_freeze_held(unfrozen: None) -> None:
    node = _Node()
    alive = weakref.ref(node)
    freeze_long_lived()
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()
    assert alive() is not None  # frozen: the collector does not walk it
    freeze_long_lived()
    assert alive() is None  # unfrozen, collected, and the rest frozen again
    assert gc.get_freeze_count() > 0


def test_the_served_app_freezes_once_its_model_has_loaded_and_after_a_reload(
    trained: TrainResult, tmp_path: Path, unfrozen: None
) -> None:
    def settings(folder: str) -> Settings:
        return get_settings(
            model_path=str(trained.model_dir.parent),
            database_url=make_database_url("sqlite", tmp_path / folder),
            session_secret="s",
            identifier_key="i",
            evidence_key="e",
        )

    gc.unfreeze()
    (tmp_path / "served").mkdir()
    app = create_app(settings("served"), freeze_heap=True)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        app.state.model_follower.reload()
        assert gc.get_freeze_count() > 0
    gc.unfreeze()
    (tmp_path / "plain").mkdir()
    with TestClient(create_app(settings("plain"))) as client:  # tests and tools: no freezing unless asked
        assert client.get("/readyz").status_code == 200
        assert gc.get_freeze_count() == 0
