"""Reading is linear in its input: hostile strings at sizes n and 4n, timed in CPU time through the whole path.

The whole path is ``Predictor.score`` with every label flagged (so every reason is built): text views
(``build_text_views``: markup, signals, deobfuscation, teencode, brands, lexicon, prices), the linear scorer's
transform (n-gram rows, metadata, signals) and the reasons. Quadruple the input and a linear reading takes about
four times as long; a quadratic one sixteen times. The bound is generous (8×, plus 2 ms for the timer and the
machine) so a busy machine does not fail the test, and CPU time (``process_time``) is used, not wall time.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.predictor import Predictor
from model.schema import Listing
from training.hostile import FAMILIES, explaining_everything, hostile_text, reading_cpu_ms
from training.train import TrainResult

N = 2_000
GROWTH = 4
MAX_RATIO = 8.0
SLACK_MS = 2.0


@pytest.fixture(scope="module")
def predictor(trained: TrainResult) -> Predictor:
    """The tiny model, explaining every label, with no reading budget (the budget would cap the growth)."""
    return explaining_everything(Predictor.load(trained.model_dir))


def _listing(field: str, text: str) -> Listing:
    # constructed without validation: the contract bounds these fields, but reading must be linear regardless
    if field == "title":
        return Listing.model_construct(title=text)
    return Listing.model_construct(title="Tin đăng", **{field: text})


def _assert_linear(predictor: Predictor, field: str, build) -> None:
    small = reading_cpu_ms(predictor, [_listing(field, build(N))])
    large = reading_cpu_ms(predictor, [_listing(field, build(GROWTH * N))])
    assert large <= MAX_RATIO * small + SLACK_MS, (
        f"reading {field} grew from {small:.2f} ms to {large:.2f} ms when its input grew {GROWTH}×"
    )


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_hostile_family_reads_in_linear_time(predictor: Predictor, family: str) -> None:
    _assert_linear(predictor, "title", lambda n: hostile_text(family, n))


@pytest.mark.parametrize("field", ["brand", "category", "ships_from", "description"])
@pytest.mark.parametrize("family", ["digits", "units_k", "lexicon_terms", "brand_misspellings", "long_token"])
def test_every_read_field_is_linear(predictor: Predictor, field: str, family: str) -> None:
    _assert_linear(predictor, field, lambda n: hostile_text(family, n))


TRICKY = [*"1k.,-_*@ aăệ4đ0tr<>&;:/😀\u0301\u200b\n", "zalo", "stk", "triệu", "http://", "&amp;", "rolexx"]


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(units=st.lists(st.sampled_from(TRICKY), min_size=1, max_size=6), seed=st.integers(0, 2**16))
def test_any_repeated_pattern_reads_in_linear_time(predictor: Predictor, units: list[str], seed: int) -> None:
    # a random unit of tricky pieces, repeated (with a little noise so no single regex shortcut applies)
    unit = "".join(units)
    rng = random.Random(seed)

    def build(n: int) -> str:
        pieces = [unit] * (n // len(unit) + 1)
        for index in rng.sample(range(len(pieces)), k=min(len(pieces) // 50, len(pieces))):
            pieces[index] = rng.choice(TRICKY)
        return "".join(pieces)[:n]

    _assert_linear(predictor, "title", build)
