"""Serving fixtures: a database per test module, on SQLite always and on PostgreSQL when one is configured.

``SOI_TEST_DATABASE_URL`` (set by ``.ci/run``) names an empty PostgreSQL database the tests may wipe; without
it the PostgreSQL half of each parametrised test is skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from serving.app import create_app
from serving.roles import ROLES
from serving.settings import get_settings
from serving.storage.api_keys import create_api_key
from serving.storage.db import Database
from serving.storage.migrate import upgrade_database
from serving.storage.models import utc_now
from training.train import TrainResult

PG_URL_VARIABLE = "SOI_TEST_DATABASE_URL"
BACKENDS = ["sqlite", "postgresql"]


def reset_postgresql(url: str) -> None:
    """Empty the test database: drop and recreate its public schema."""
    database = Database(get_settings(database_url=url))
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    database.dispose()


def make_database_url(backend: str, tmp_path: Path) -> str:
    """A fresh, empty database of the backend (PostgreSQL skipped when not configured)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'soi.db'}"
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        pytest.skip(f"no PostgreSQL server configured ({PG_URL_VARIABLE} is unset)")
    reset_postgresql(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database for one test."""
    return make_database_url(request.param, tmp_path)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database for one test."""
    db = Database(get_settings(database_url=database_url))
    upgrade_database(db.engine)
    yield db
    db.dispose()


@dataclass
class Keys:
    """One API key per role."""

    crawler: str
    reviewer: str
    lead: str
    admin: str

    def header(self, role: str) -> dict[str, str]:
        """The Authorization header of the role's key."""
        return {"Authorization": f"Bearer {getattr(self, role)}"}


def make_keys(db: Database) -> Keys:
    """Create one key per role (crawler, reviewer, lead, admin)."""
    with db.write() as session:
        keys = {role: create_api_key(session, role=role, name=f"test-{role}", now=utc_now())[1] for role in ROLES}
    return Keys(**keys)


@dataclass
class Service:
    """A running app (TestClient), its database and keys."""

    client: TestClient
    db: Database
    keys: Keys
    backend: str

    def score_batches(self, listings: list[dict], *, batch: int = 50) -> list[dict]:
        """Score and store ``listings`` as the crawler, ``batch`` a request; the results, in order."""
        results: list[dict] = []
        for start in range(0, len(listings), batch):
            answer = self.client.post(
                "/v1/score/batch",
                json={"listings": listings[start : start + batch]},
                headers=self.keys.header("crawler"),
            )
            assert answer.status_code == 200, answer.text
            results += answer.json()["results"]
        return results


def start_service(trained: TrainResult, database_url: str, backend: str, **overrides: object) -> Iterator[Service]:
    """Build the app on ``database_url`` with auth on, create keys, yield it running."""
    overrides = {
        "session_secret": "test-session-secret",
        "identifier_key": "test-identifier-key",
        "evidence_key": "test-evidence-key",
        **overrides,
    }
    settings = get_settings(model_path=str(trained.model_dir.parent), database_url=database_url, **overrides)
    app = create_app(settings)
    with TestClient(app) as client:
        db: Database = app.state.db
        yield Service(client=client, db=db, keys=make_keys(db), backend=backend)


def start_module_service(
    request: pytest.FixtureRequest, trained: TrainResult, tmp_path_factory: pytest.TempPathFactory, **overrides: object
) -> Iterator[Service]:
    """``start_service`` on a fresh database of a module fixture's backend (``request.param``, one of BACKENDS)."""
    url = make_database_url(request.param, tmp_path_factory.mktemp("db"))
    yield from start_service(trained, url, request.param, **overrides)


@pytest.fixture(scope="module", params=BACKENDS)
def service(
    request: pytest.FixtureRequest, trained: TrainResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """One service per module and backend, with a batch limit of 5 so limits are cheap to test."""
    yield from start_module_service(request, trained, tmp_path_factory, max_batch_listings=5, auth_cache_s=0)
