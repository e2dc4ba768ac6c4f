"""The micro-batcher alone (``serving.batching.ScoringBatcher``): back-pressure when its queue is full, and
shutdown that drains the queue within its time or answers the rest 503. Bounded in count and time."""

from __future__ import annotations

import asyncio

import pytest

from model.schema import Listing
from serving.batching import ScoringBatcher
from serving.errors import ServiceUnavailable
from tests.serving.batching_support import TIMEOUT_S, Gate, job, wait_until

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_full_queue_answers_503_until_it_drains() -> None:
    gate = Gate()
    batcher = ScoringBatcher(gate, wait_ms=0, max_listings=1, max_queued=3)
    batcher.start()
    busy = job(batcher, "busy")  # taken into the scoring thread, which blocks
    await asyncio.to_thread(gate.entered.wait, TIMEOUT_S)
    queued = [job(batcher, f"q-{i}") for i in range(3)]
    await wait_until(lambda: len(batcher._pending) == 3)
    with pytest.raises(ServiceUnavailable, match="already waiting"):
        await batcher.score(Listing(title="x"), None, predictor=object(), linker=None, dry_run=True)
    gate.open.set()
    results = await asyncio.wait_for(asyncio.gather(busy, *queued), TIMEOUT_S)
    assert [r.listing_id for r in results] == ["busy", "q-0", "q-1", "q-2"]
    await batcher.stop(drain_s=TIMEOUT_S)


async def gated_jobs(count: int, prefix: str, *, max_listings: int) -> tuple[Gate, ScoringBatcher, list]:
    """A started batcher whose scoring blocks at its gate, with ``count`` jobs sent and the first batch taken."""
    gate = Gate()
    batcher = ScoringBatcher(gate, wait_ms=0, max_listings=max_listings, max_queued=100)
    batcher.start()
    tasks = [job(batcher, f"{prefix}-{i}") for i in range(count)]
    await asyncio.to_thread(gate.entered.wait, TIMEOUT_S)
    return gate, batcher, tasks


async def test_shutdown_drains_the_queue() -> None:
    gate, batcher, tasks = await gated_jobs(5, "s", max_listings=2)
    stopping = asyncio.create_task(batcher.stop(drain_s=TIMEOUT_S))
    await asyncio.sleep(0)
    with pytest.raises(ServiceUnavailable, match="shutting down"):  # nothing new once stopping
        await batcher.score(Listing(title="x"), None, predictor=object(), linker=None, dry_run=True)
    gate.open.set()
    await asyncio.wait_for(stopping, TIMEOUT_S)
    assert [(await t).listing_id for t in tasks] == [f"s-{i}" for i in range(5)]


async def test_shutdown_past_its_drain_time_answers_the_rest_503() -> None:
    gate, batcher, tasks = await gated_jobs(3, "t", max_listings=1)
    await asyncio.wait_for(batcher.stop(drain_s=0.05), TIMEOUT_S)
    gate.open.set()  # the thread finishes its batch; nobody waits for it any more
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, ServiceUnavailable) for o in outcomes)
