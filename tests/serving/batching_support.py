"""What the batching tests share: a scoring function that blocks until the test opens it, and small waits that
fail the test instead of hanging the suite."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from model.schema import Listing
from serving.batching import ScoringBatcher
from serving.schemas import StoredScore

TIMEOUT_S = 60  # a hang fails the test instead of the suite


class Gate:
    """A score_batch that blocks until opened, then answers each listing with a score naming its listing id."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.entered = threading.Event()

    def __call__(self, listings_: list[Listing], raws: list[Any], **_kwargs: Any) -> list[StoredScore]:
        self.entered.set()
        if not self.open.wait(TIMEOUT_S):
            raise TimeoutError("the test never opened the gate")
        return [StoredScore.model_construct(listing_id=listing.id, stored_listing_id=None) for listing in listings_]


def job(batcher: ScoringBatcher, listing_id: str) -> asyncio.Task[StoredScore]:
    listing = Listing(id=listing_id, title="Áo thun")
    return asyncio.create_task(batcher.score(listing, None, predictor=object(), linker=None, dry_run=True))


async def wait_until(predicate: Callable[[], bool]) -> None:
    for _ in range(TIMEOUT_S * 100):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")
