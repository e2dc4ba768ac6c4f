"""Freezing the long-lived heap (``serving.heap``): everything alive is frozen, and what an earlier freeze held is
collected once it is garbage."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving.heap import freeze_long_lived
from tests.serving.conftest import make_database_url, start_service
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


def test_the_app_freezes_once_its_model_has_loaded(trained: TrainResult, tmp_path: Path, unfrozen: None) -> None:
    gc.unfreeze()
    for service in start_service(trained, make_database_url("sqlite", tmp_path), "sqlite"):
        assert service.client.get("/readyz").status_code == 200
        assert gc.get_freeze_count() > 0
    gc.unfreeze()
    for _service in start_service(trained, make_database_url("sqlite", tmp_path / "off"), "sqlite", gc_freeze=False):
        assert gc.get_freeze_count() == 0
