"""Operations: readiness, metrics, request ids, JSON logs, a database outage (503, then recovery) and
reloading the model without a restart."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from model.artifact import LINEAR_VECTORIZERS_FILE, LINEAR_WEIGHTS_FILE
from serving.app import create_app
from serving.logs import JsonFormatter, request_id_var
from serving.settings import get_settings
from serving.storage.db import Database
from tests.serving.conftest import Service
from training.train import TrainResult

LISTING = {"id": "op-1", "platform": "zalo", "title": "Thuốc lá Esse không tem nhập lậu cây 10 bao"}


def test_readyz_when_model_and_database_are_there(service: Service) -> None:
    response = service.client.get("/readyz")
    assert response.status_code == 200 and response.json()["status"] == "ready"


def test_request_id_is_echoed_or_made(service: Service) -> None:
    given = service.client.get("/healthz", headers={"X-Request-ID": "crawler-7.batch:42"})
    assert given.headers["x-request-id"] == "crawler-7.batch:42"
    made = service.client.get("/healthz").headers["x-request-id"]
    forged = service.client.get("/healthz", headers={"X-Request-ID": 'x"\n{"level":"ERROR"}'}).headers["x-request-id"]
    assert len(made) == 32 and len(forged) == 32 and made != forged


def test_metrics_count_requests_and_listings_by_priority(service: Service, trained: TrainResult) -> None:
    score = service.client.post("/v1/score", json=LISTING, headers=service.keys.header("crawler")).json()
    text = service.client.get("/metrics").text
    assert 'soi_http_requests_total{method="POST",route="/v1/score",status="200"}' in text
    assert 'soi_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/score"}' in text
    assert f'soi_listings_scored_total{{model_version="{trained.version}",priority="{score["priority"]}"}}' in text
    assert f'soi_model_info{{model_version="{trained.version}"}} 1.0' in text
    service.client.get("/no/such/page")
    assert 'route="(unmatched)",status="404"' in service.client.get("/metrics").text


def test_logs_are_json_lines_with_the_request_id() -> None:
    token = request_id_var.set("rid-1")
    try:
        record = logging.LogRecord("soi.access", logging.INFO, __file__, 1, "POST %s", ("/v1/score",), None)
        record.status = 200
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "POST /v1/score" and line["request_id"] == "rid-1" and line["status"] == 200


def _unreachable_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}"  # a folder, not a database file: every connection fails
    return "postgresql+psycopg://soi:soi@127.0.0.1:9/soi"  # nothing listens on port 9


def test_database_outage_is_503_with_retry_after_then_recovers(service: Service, tmp_path: Path) -> None:
    app = service.client.app
    working: Database = app.state.db  # type: ignore[attr-defined]
    app.state.db = Database(get_settings(database_url=_unreachable_url(service.backend, tmp_path)))  # type: ignore[attr-defined]
    try:
        crawler, reviewer = service.keys.header("crawler"), service.keys.header("reviewer")
        answers = [
            service.client.post("/v1/score", json=LISTING, headers=crawler),
            service.client.get("/v1/queue", headers=reviewer),
            service.client.post("/v1/listings/1/reviews", json={"labels": []}, headers=reviewer),
            service.client.get("/v1/reviews/export", headers=reviewer),
            service.client.get("/readyz"),
        ]
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["retry-after"]) > 0
        assert service.client.get("/healthz").status_code == 200  # the process itself is fine
        assert service.client.post("/v1/score?dry_run=true", json=LISTING, headers=crawler).status_code in (200, 503)
    finally:
        app.state.db.dispose()  # type: ignore[attr-defined]
        app.state.db = working  # type: ignore[attr-defined]
    assert service.client.post("/v1/score", json=LISTING, headers=service.keys.header("crawler")).status_code == 200
    assert service.client.get("/readyz").status_code == 200


@contextmanager
def reloadable_app(trained: TrainResult, tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """An app (development mode) serving ``models/current`` -> the tiny model; yields it and the models folder."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "current").symlink_to(trained.model_dir)
    settings = get_settings(model_path=str(models), database_url=f"sqlite:///{tmp_path / 'r.db'}", auth_disabled=True)
    with TestClient(create_app(settings)) as client:
        yield client, models


def test_reload_swaps_the_model_and_keeps_the_old_one_when_the_new_one_fails(
    trained: TrainResult, tmp_path: Path
) -> None:
    with reloadable_app(trained, tmp_path) as (client, models):
        reloaded = client.post("/v1/admin/reload")
        assert reloaded.status_code == 200
        assert reloaded.json() == {"model_version": trained.version, "previous_version": trained.version}
        os.remove(models / "current")
        (models / "current").symlink_to(tmp_path / "no-such-model")
        failed = client.post("/v1/admin/reload")
        assert failed.status_code == 409 and "old one is still served" in failed.json()["detail"]
        assert client.post("/v1/score", json=LISTING).json()["model_version"] == trained.version


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / LINEAR_WEIGHTS_FILE).write_bytes((folder / LINEAR_WEIGHTS_FILE).read_bytes()[:100]),
        lambda folder: (folder / LINEAR_VECTORIZERS_FILE).write_bytes(b"PK\x03\x04 not a zip"),
        lambda folder: (folder / "linear.json").write_text('{"labels": ', encoding="utf-8"),
        lambda folder: (folder / "model_card.json").write_text("{}", encoding="utf-8"),
    ],
    ids=["truncated-weights", "broken-vectorizers", "truncated-config", "empty-card"],
)
def test_reload_onto_a_broken_model_is_409_and_the_old_one_keeps_serving(
    trained: TrainResult, tmp_path: Path, damage
) -> None:
    with reloadable_app(trained, tmp_path) as (client, models):
        broken = tmp_path / "broken-model"
        shutil.copytree(trained.model_dir, broken)
        damage(broken)
        (models / "current").unlink()
        (models / "current").symlink_to(broken)
        refused = client.post("/v1/admin/reload")
        assert refused.status_code == 409 and "old one is still served" in refused.json()["detail"]
        score = client.post("/v1/score", json={"title": "Áo thun"})
        assert score.status_code == 200 and score.json()["model_version"] == trained.version


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json"])
def test_operations_routes_need_no_key(service: Service, path: str) -> None:
    assert service.client.get(path).status_code == 200


def test_a_reload_reaches_the_other_workers(trained: TrainResult, database_url: str) -> None:
    # two apps on one database stand for two workers (or replicas); polling is driven by hand here
    settings = get_settings(
        model_path=str(trained.model_dir.parent), database_url=database_url, auth_disabled=True, reload_poll_s=0
    )
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        follower = second.app.state.model_follower  # type: ignore[attr-defined]
        before = second.app.state.predictor  # type: ignore[attr-defined]
        assert follower.poll_once() is False  # nothing logged yet
        assert first.post("/v1/admin/reload").status_code == 200
        assert follower.poll_once() is True
        assert second.app.state.predictor is not before  # type: ignore[attr-defined]
        assert follower.poll_once() is False  # once per logged reload
        assert first.app.state.model_follower.poll_once() is False  # type: ignore[attr-defined]
