"""What keeps the service safe when something goes wrong: our bugs answer 500 with the request id, sessions end
on the server, the session secret is never silently empty, and readiness notices a database that cannot take
writes (a broken model on reload: ``test_operations.py``). SQLite, and PostgreSQL when configured."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from serving.app import create_app
from serving.logs import JsonFormatter
from serving.secrets import MissingSecretError
from serving.settings import get_settings
from serving.storage.db import Database
from serving.storage.models import ReviewSessionRow
from serving.ui.session import COOKIE_NAME
from tests.serving.conftest import Service
from training.train import TrainResult

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Soi's log lines as the JSON formatter writes them (with the request id of the request they belong to)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("soi.serving")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_our_bugs_answer_500_with_the_request_id_in_body_header_and_log(
    service: Service, monkeypatch: pytest.MonkeyPatch, log_lines: io.StringIO
) -> None:
    def broken() -> tuple[bytes, str]:
        raise RuntimeError("a bug")

    monkeypatch.setattr("serving.routes.operations.render_metrics", broken)
    response = service.client.get("/metrics", headers={"X-Request-ID": "bug-hunt-1"})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error", "request_id": "bug-hunt-1"}
    assert response.headers["x-request-id"] == "bug-hunt-1"
    made = service.client.get("/metrics")
    assert made.json()["request_id"] == made.headers["x-request-id"] != ""
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    logged = [line for line in lines if line["msg"] == "internal error: RuntimeError"]
    assert [line["request_id"] for line in logged] == ["bug-hunt-1", made.headers["x-request-id"]]
    assert all("a bug" in line["exc"] for line in logged) and "a bug" not in response.text


def test_sign_out_ends_the_session_on_the_server(service: Service) -> None:
    service.client.cookies.clear()
    assert service.client.post("/review/signin", data={"key": service.keys.reviewer}, headers=ORIGIN).status_code
    stolen = service.client.cookies[COOKIE_NAME]
    assert service.client.get("/review/queue", follow_redirects=False).status_code == 200
    with service.db.read() as session:  # the database keeps a keyed hash of the token, never the token
        stored = [row.token_hash for row in session.scalars(select(ReviewSessionRow))]
    assert stored and stolen not in stored and all(stolen not in value for value in stored)
    out = service.client.post("/review/signout", headers=ORIGIN, follow_redirects=False)
    assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
    service.client.cookies.clear()
    service.client.cookies.set(COOKIE_NAME, stolen, path="/review")  # a copy kept from before the sign-out
    assert service.client.get("/review/queue", follow_redirects=False).status_code == 303
    service.client.cookies.clear()


def test_a_missing_session_secret_is_generated_beside_sqlite_shared_and_said_loudly_and_refused_on_postgresql(
    trained: TrainResult, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = {"identifier_key": "k", "evidence_key": "e", "secrets_dir": str(tmp_path / "secrets")}
    settings = get_settings(model_path=str(trained.model_dir), database_url=database_url, session_secret="", **keys)
    if not database_url.startswith("sqlite"):  # replicas must agree on it: it has to be configured
        with pytest.raises(MissingSecretError, match="SOI_SESSION_SECRET"), TestClient(create_app(settings)):
            pass
        return
    with (
        caplog.at_level(logging.WARNING, logger="soi.serving"),
        TestClient(create_app(settings)) as first,
        TestClient(create_app(settings)) as second,
    ):
        assert first.app.state.session_secret == second.app.state.session_secret  # type: ignore[attr-defined]
        secret = first.app.state.session_secret  # type: ignore[attr-defined]
    saved = tmp_path / "secrets" / "session_secret"
    assert saved.read_text(encoding="utf-8").strip() == secret and len(secret) >= 40
    assert saved.stat().st_mode & 0o077 == 0  # readable by the service's user alone
    assert sum("SOI_SESSION_SECRET was not set: GENERATED" in record.getMessage() for record in caplog.records) == 1
    configured = get_settings(model_path=str(trained.model_dir), database_url=database_url, session_secret="s" * 40)
    with TestClient(create_app(configured)) as client:
        assert client.app.state.session_secret == "s" * 40  # type: ignore[attr-defined]


def _read_only(db: Database) -> None:
    """Make every new connection of ``db`` read-only, as a full or read-only volume or a standby would."""

    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        if db.dialect == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        if db.dialect != "sqlite":
            dbapi_connection.commit()

    event.listen(db.engine, "connect", on_connect)
    db.engine.dispose()


def test_readyz_reports_a_database_that_cannot_take_writes(service: Service) -> None:
    app = service.client.app
    working: Database = app.state.db  # type: ignore[attr-defined]
    settings = app.state.settings  # type: ignore[attr-defined]
    read_only = Database(settings)
    _read_only(read_only)
    app.state.db = read_only  # type: ignore[attr-defined]
    try:
        answer = service.client.get("/readyz")
        assert answer.status_code == 503 and int(answer.headers["retry-after"]) > 0
        body = answer.json()
        assert body["database"] is True and body["database_writable"] is False and body["problem"]
    finally:
        read_only.dispose()
        app.state.db = working  # type: ignore[attr-defined]
    assert service.client.get("/readyz").status_code == 200
    if service.backend == "sqlite":  # a full disk shows only in the free space: no probe write reaches it
        app.state.settings = settings.model_copy(update={"min_free_disk_mb": 10**12})  # type: ignore[attr-defined]
        try:
            full = service.client.get("/readyz")
            assert full.status_code == 503 and "free" in full.json()["problem"]
        finally:
            app.state.settings = settings  # type: ignore[attr-defined]
