"""Micro-batching of single-listing requests (``serving.batching``): concurrent requests against the ASGI app
on one event loop, each getting its own result; failures reaching only their requests; back-pressure and
shutdown on the batcher itself. Bounded in count and time; no assertion on speed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc

from model.errors import DataError
from model.schema import Listing
from serving.app import create_app
from serving.schemas import StoredScore
from serving.settings import get_settings
from tests.serving.batching_support import TIMEOUT_S, Gate, wait_until
from tests.serving.conftest import Keys, make_database_url, make_keys
from training.train import TrainResult

TITLES = [
    "Bình khí cười N2O 8 lít bóng cười giao nhanh",
    "Áo thun nam cotton basic cổ tròn",
    "Giày Nike Jordan hàng nhái chuẩn 99%",
    "Thuốc lá điện tử xách tay không tem",
    "Túi xách Gucci replica loại 1",
    "Nồi cơm điện Sharp chính hãng bảo hành 12 tháng",
]
pytestmark = pytest.mark.anyio  # anyio's pytest plugin (installed with Starlette) runs the async tests


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def listings(count: int, prefix: str) -> list[dict[str, Any]]:
    """Distinct listings (ids and prices differ, titles cycle)."""
    return [
        {"id": f"{prefix}-{i}", "platform": "shopee", "title": TITLES[i % len(TITLES)], "price": 100_000 + i}
        for i in range(count)
    ]


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run, and a client on the same event loop (loopback only: no socket)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://soi.test", timeout=TIMEOUT_S) as client:
            yield client


@pytest.fixture(params=["sqlite", "postgresql"])
def make_app(
    request: pytest.FixtureRequest, trained: TrainResult, tmp_path: Path
) -> Callable[..., tuple[FastAPI, Callable[[], Keys]]]:
    """Build an app on a fresh database with settings overrides; keys are made once the lifespan migrated it."""
    url = make_database_url(request.param, tmp_path)

    def build(**overrides: object) -> tuple[FastAPI, Callable[[], Keys]]:
        settings = get_settings(
            model_path=str(trained.model_dir.parent),
            database_url=url,
            session_secret="test-session-secret",
            identifier_key="test-identifier-key",
            evidence_key="test-evidence-key",
            **overrides,
        )
        app = create_app(settings)
        return app, lambda: make_keys(app.state.db)

    return build


def record_batches(app: FastAPI) -> list[int]:
    """Sizes of the batches the app's batcher scores from now on."""
    sizes: list[int] = []
    batcher = app.state.batcher
    inner = batcher.score_batch

    def recording(listings: list[Listing], raws: list[Any], **kwargs: Any) -> list[StoredScore]:
        sizes.append(len(listings))
        return inner(listings, raws, **kwargs)

    batcher.score_batch = recording
    return sizes


def without_id(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "stored_listing_id"}


async def test_concurrent_singles_each_get_their_own_result_stored_in_shared_batches(make_app) -> None:
    app, keys = make_app(batch_wait_ms=200, batch_max_listings=8)
    sent = listings(24, "c")
    async with running(app) as client:
        crawler, reviewer = keys().header("crawler"), keys().header("reviewer")
        sizes = record_batches(app)
        answers = await asyncio.gather(*(client.post("/v1/score", json=body, headers=crawler) for body in sent))
        assert [a.status_code for a in answers] == [200] * len(sent)
        assert max(sizes) > 1 and max(sizes) <= 8 and sum(sizes) == len(sent)
        # each answer is its own listing's: same id, and its stored listing holds what it sent
        ids = [int(a.headers["x-soi-listing-id"]) for a in answers]
        assert len(set(ids)) == len(sent)
        for body, answer, stored_id in zip(sent, answers, ids, strict=True):
            assert answer.json()["listing_id"] == body["id"] and answer.json()["stored_listing_id"] == stored_id
            detail = (await client.get(f"/v1/listings/{stored_id}", headers=reviewer)).json()
            assert detail["snapshots"][0]["listing"] == body
        # identical to scoring each listing alone (a batch of one), field for field but for the stored id
        alone = [
            await client.post("/v1/score/batch?dry_run=true", json={"listings": [b]}, headers=crawler) for b in sent
        ]
        for answer, single in zip(answers, alone, strict=True):
            assert without_id(answer.json()) == without_id(single.json()["results"][0])


async def test_dry_runs_and_stored_requests_never_share_a_batch(make_app) -> None:
    app, keys = make_app(batch_wait_ms=200)
    sent = listings(12, "d")
    async with running(app) as client:
        crawler = keys().header("crawler")
        calls: list[bool] = []
        inner = app.state.batcher.score_batch

        def recording(listings_: list[Listing], raws: list[Any], **kwargs: Any) -> list[StoredScore]:
            calls.append(kwargs["dry_run"])
            return inner(listings_, raws, **kwargs)

        app.state.batcher.score_batch = recording
        answers = await asyncio.gather(
            *(client.post(f"/v1/score?dry_run={'true' if i % 2 else 'false'}", json=b, headers=crawler)
              for i, b in enumerate(sent))
        )  # fmt: skip
        assert [a.status_code for a in answers] == [200] * len(sent)
        for i, answer in enumerate(answers):
            dry = bool(i % 2)
            assert (answer.json()["stored_listing_id"] is None) is dry
            assert ("x-soi-listing-id" in answer.headers) is not dry
        assert set(calls) == {True, False}


async def test_a_lone_request_does_not_wait_for_a_full_batch(make_app) -> None:
    app, keys = make_app(batch_wait_ms=50, batch_max_listings=1000)
    async with running(app) as client:
        crawler = keys().header("crawler")
        sizes = record_batches(app)
        answer = await asyncio.wait_for(client.post("/v1/score", json=listings(1, "l")[0], headers=crawler), 30)
        assert answer.status_code == 200 and sizes == [1]


class Poisoned:
    """The served predictor, except that it refuses any batch holding a listing titled 'POISON'."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def score(self, listings_: list[Listing]) -> Any:
        if any(listing.title == "POISON" for listing in listings_):
            raise DataError("expected a listing the model can read, found POISON")
        return self.inner.score(listings_)


async def test_a_failing_listing_fails_only_its_own_request(make_app) -> None:
    app, keys = make_app(batch_wait_ms=200)
    sent = listings(9, "p")
    sent[4] = {**sent[4], "title": "POISON"}
    async with running(app) as client:
        crawler = keys().header("crawler")
        app.state.predictor = Poisoned(app.state.predictor)
        sizes = record_batches(app)
        answers = await asyncio.gather(*(client.post("/v1/score", json=body, headers=crawler) for body in sent))
        assert max(sizes) > 1  # the poisoned listing was batched with others, then retried alone
        assert [a.status_code for a in answers] == [200] * 4 + [422] + [200] * 4
        assert "POISON" in answers[4].json()["detail"][0]["msg"]
        assert [a.json()["listing_id"] for i, a in enumerate(answers) if i != 4] == [
            b["id"] for i, b in enumerate(sent) if i != 4
        ]


def fail_batches(app: FastAPI, when: Callable[[list[Listing], bool], bool], error: Exception) -> None:
    """Make the app's batcher raise ``error`` for the batches ``when`` (listings, dry run) picks."""
    inner = app.state.batcher.score_batch

    def failing(listings_: list[Listing], raws: list[Any], **kwargs: Any) -> list[StoredScore]:
        if when(listings_, kwargs["dry_run"]):
            raise error
        return inner(listings_, raws, **kwargs)

    app.state.batcher.score_batch = failing


async def test_a_database_outage_answers_503_to_the_stored_requests_only(make_app) -> None:
    app, keys = make_app(batch_wait_ms=200)
    sent = listings(8, "o")
    async with running(app) as client:
        crawler = keys().header("crawler")
        outage = sa_exc.OperationalError("INSERT", {}, ConnectionError("connection refused"))
        fail_batches(app, lambda _listings, dry_run: not dry_run, outage)
        answers = await asyncio.gather(
            *(client.post(f"/v1/score?dry_run={'true' if i < 3 else 'false'}", json=b, headers=crawler)
              for i, b in enumerate(sent))
        )  # fmt: skip
        assert [a.status_code for a in answers] == [200] * 3 + [503] * 5
        assert all(a.headers["retry-after"] == "5" for a in answers[3:])
        assert all("database is unavailable" in a.json()["detail"] for a in answers[3:])


async def test_a_bug_storing_one_listing_is_a_500_for_that_request_alone(make_app) -> None:
    app, keys = make_app(batch_wait_ms=200)
    sent = listings(6, "b")
    async with running(app) as client:
        crawler = keys().header("crawler")
        bug = RuntimeError("a bug in storing b-2")
        fail_batches(app, lambda batch, _dry_run: any(listing.id == "b-2" for listing in batch), bug)
        answers = await asyncio.gather(*(client.post("/v1/score", json=body, headers=crawler) for body in sent))
        assert [a.status_code for a in answers] == [200, 200, 500, 200, 200, 200]
        assert answers[2].json()["detail"] == "internal error"


async def test_a_full_queue_is_a_503_with_retry_after_over_http(make_app) -> None:
    app, keys = make_app(batch_wait_ms=0, batch_max_listings=1, batch_max_queued=1)
    gate = Gate()
    async with running(app) as client:
        crawler = keys().header("crawler")
        app.state.batcher.score_batch = gate
        sent = listings(3, "f")
        first = asyncio.create_task(client.post("/v1/score?dry_run=true", json=sent[0], headers=crawler))
        await asyncio.to_thread(gate.entered.wait, TIMEOUT_S)
        second = asyncio.create_task(client.post("/v1/score?dry_run=true", json=sent[1], headers=crawler))
        await wait_until(lambda: len(app.state.batcher._pending) == 1)
        refused = await client.post("/v1/score?dry_run=true", json=sent[2], headers=crawler)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
        gate.open.set()
        assert [(await first).status_code, (await second).status_code] == [200, 200]
