"""The reading budget (SOI_MAX_READ_MS): a listing longer than its budget allows is read on its beginning, in a
fixed order (title, brand, category, description), and its score says so; shorter listings are untouched."""

from __future__ import annotations

from dataclasses import replace

import pytest

from model.predictor import READ_CHARS_PER_MS, READ_TRUNCATED, Predictor
from model.schema import Listing
from training.train import TrainResult


@pytest.fixture(scope="module")
def predictor(trained: TrainResult) -> Predictor:
    """The tiny model with a budget of 1 ms: READ_CHARS_PER_MS characters."""
    return replace(Predictor.load(trained.model_dir), max_read_ms=1.0)


def test_a_listing_within_the_budget_is_read_whole(predictor: Predictor) -> None:
    listing = Listing(title="Bình khí cười 8L", description="giao nhanh nội thành " * 5)
    assert predictor.within_budget(listing) == (listing, False)
    [score] = predictor.score([listing])
    assert score.read_truncated is False and all(r.evidence != READ_TRUNCATED for r in score.reasons)


def test_a_longer_listing_is_read_on_its_beginning_and_says_so(predictor: Predictor) -> None:
    title = "Bình khí cười 8L giá rẻ " * 5
    listing = Listing(title=title, brand="Rolex", category="Đồng hồ", description="giao nhanh " * 200)
    read, cut = predictor.within_budget(listing)
    assert cut and read.title == title and read.brand == "Rolex" and read.category == "Đồng hồ"
    assert len(read.title + read.brand + read.category + (read.description or "")) == READ_CHARS_PER_MS
    assert listing.description.startswith(read.description)
    [score] = predictor.score([listing])
    assert score.read_truncated is True
    note = [reason for reason in score.reasons if reason.evidence == READ_TRUNCATED]
    assert len(note) == 1 and str(READ_CHARS_PER_MS) in note[0].text
    assert predictor.score([listing]) == [score]  # a character budget: the same reading every time
    assert all(reason.evidence != "description_missing" for reason in score.reasons)  # metadata: the whole listing


def test_the_title_is_cut_last_and_never_to_nothing(predictor: Predictor) -> None:
    listing = Listing(title="Áo " * 200, brand="Nike", description="mô tả")
    read, cut = predictor.within_budget(listing)
    assert cut and read.title == listing.title[:READ_CHARS_PER_MS] and read.brand == "" and read.description == ""


def test_without_a_budget_everything_is_read(predictor: Predictor) -> None:
    unlimited = replace(predictor, max_read_ms=None)
    listing = Listing(title="Áo " * 2000)
    assert unlimited.within_budget(listing) == (listing, False)
    assert unlimited.score([listing])[0].read_truncated is False
