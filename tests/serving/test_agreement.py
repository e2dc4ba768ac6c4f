"""The agreement statistics behind reviewer quality, against values worked out by hand."""

from __future__ import annotations

import pytest

from serving.agreement import binary_agreement, hours_worked, shrink, wilson_interval


def test_cohens_kappa_and_its_interval_match_the_textbook_formula() -> None:
    # 2x2 table: both yes 20, rater yes / reference no 5, rater no / reference yes 10, both no 15 (n = 50)
    pairs = [(True, True)] * 20 + [(True, False)] * 5 + [(False, True)] * 10 + [(False, False)] * 15
    agreement = binary_agreement(pairs)
    p_o, p_e = 35 / 50, (25 / 50) * (30 / 50) + (25 / 50) * (20 / 50)
    assert agreement.n == 50 and agreement.agree == 35 and agreement.raw == pytest.approx(p_o)
    assert agreement.kappa == pytest.approx((p_o - p_e) / (1 - p_e))  # 0.4
    se = (p_o * (1 - p_o) / (50 * (1 - p_e) ** 2)) ** 0.5
    assert agreement.kappa_interval.low == pytest.approx(0.4 - 1.959964 * se)
    assert agreement.raw_interval.low < p_o < agreement.raw_interval.high


def test_kappa_is_undefined_without_variation_and_nothing_to_compare_gives_nothing() -> None:
    always_no = binary_agreement([(False, False)] * 10)
    assert always_no.raw == 1.0 and always_no.kappa is None and always_no.kappa_interval is None
    empty = binary_agreement([])
    assert empty.n == 0 and empty.raw is None and empty.raw_interval is None


def test_wilson_interval_stays_inside_0_and_1() -> None:
    perfect = wilson_interval(20, 20)
    assert perfect is not None and perfect.high == pytest.approx(1.0) and 0.8 < perfect.low < 0.85
    assert wilson_interval(0, 0) is None


def test_shrinkage_pulls_few_observations_toward_the_prior() -> None:
    assert shrink(None, 0, prior=0.8, prior_n=10) == 0.8
    assert shrink(0.0, 10, prior=0.8, prior_n=10) == pytest.approx(0.4)
    assert shrink(1.0, 1000, prior=0.0, prior_n=10) == pytest.approx(1000 / 1010)


def test_hours_worked_counts_short_gaps_and_a_typical_gap_per_session() -> None:
    # one session of 4 reviews a minute apart, a 2-hour break, one more review
    times = [0, 60, 120, 180, 180 + 7200]
    assert hours_worked(times, idle_s=900) == pytest.approx((180 + 2 * 60) / 3600)
    assert hours_worked([], idle_s=900) == 0
