"""The Ray Data engine in local mode, two workers: the same results as the in-process engine, one model load each.

Skipped when Ray is not installed (``make test`` installs the ``scale`` extra, so CI runs it). SQLite only: the
storage logic is engine-agnostic and tested on both backends in ``test_stored``; starting actor pools is what
costs time here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from model.predictor import Predictor
from serving.rescore.archive_job import ArchiveJob, rescore_archive
from serving.rescore.archive_job import local_engine as local_archive_engine
from serving.rescore.stored import make_job, rescore_stored
from serving.settings import get_settings
from serving.storage.db import Database
from serving.storage.migrate import upgrade_database
from tests.serving.rescore.test_archive import _write_archive
from tests.serving.rescore.test_stored import _expected, _queue_ids
from tests.serving.test_storage import _store as store_listings
from training.train import TrainResult

pytest.importorskip("ray")

from serving.rescore import engine

WORKERS = 2


@pytest.fixture(scope="module")
def ray_local() -> Iterator[int]:
    """Ray started in local mode for this module (never a cluster named by the environment)."""
    address = os.environ.pop("RAY_ADDRESS", None)
    try:
        _description, workers = engine.start(WORKERS)
        yield workers
    finally:
        engine.stop()
        if address is not None:
            os.environ["RAY_ADDRESS"] = address


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database (the workers open the same file)."""
    db = Database(get_settings(database_url=f"sqlite:///{tmp_path / 'soi.db'}"))
    upgrade_database(db.engine)
    yield db
    db.dispose()


def test_stored_listings_on_ray(
    ray_local: int,
    database: Database,
    first_predictor: Predictor,
    second_model: TrainResult,
    second_predictor: Predictor,
    listing_raws: list[dict],
) -> None:
    ids = store_listings(database, first_predictor, listing_raws)
    url = database.engine.url.render_as_string(hide_password=False)
    job = make_job(get_settings(database_url=url), second_model.model_dir, page=3)
    summary = rescore_stored(
        job, engine.ray_stored_engine(ray_local), engine_name="ray", workers=ray_local, ids_per_range=10,
        show_progress=False,
    )  # fmt: skip
    assert (summary.scored, summary.skipped, summary.failed) == (len(ids), 0, 0)
    expected = _expected(database, second_predictor)
    assert _queue_ids(database) == sorted(ids, key=lambda i: (-expected[i]["risk"], -i))
    # at most one model per worker, each kept for many pages (its counter runs across them)
    assert 1 <= len(summary.workers) <= WORKERS
    assert sum(worker.listings for worker in summary.workers.values()) == len(ids)
    assert max(worker.listings for worker in summary.workers.values()) > job.page


def test_archive_on_ray(ray_local: int, tmp_path: Path, trained: TrainResult, listing_raws: list[dict]) -> None:
    _write_archive(tmp_path / "crawl", listing_raws)
    job = ArchiveJob.for_model(trained.model_dir, batch_size=4, settings=get_settings())
    on_ray = rescore_archive(
        str(tmp_path / "crawl"), tmp_path / "ray", job, engine.ray_archive_engine(ray_local), engine_name="ray",
        workers=ray_local, show_progress=False,
    )  # fmt: skip
    local = rescore_archive(
        str(tmp_path / "crawl"), tmp_path / "local", job, local_archive_engine, engine_name="local", workers=1,
        show_progress=False,
    )  # fmt: skip
    assert (on_ray.scored, on_ray.failed) == (local.scored, local.failed) == (len(listing_raws), 3)
    assert sorted(map(str, on_ray.failures)) == sorted(map(str, local.failures))
    for output in sorted((tmp_path / "local").rglob("*.parquet")):
        assert pq.read_table(tmp_path / "ray" / output.relative_to(tmp_path / "local")) == pq.read_table(output)
