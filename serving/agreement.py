"""Agreement between two raters on binary labels: raw agreement, Cohen's kappa, their intervals, shrinkage.

- Raw agreement ``p_o`` (share of comparisons that agree) with a **Wilson score interval** (95%), which stays
  inside [0, 1] and is honest for small counts and for shares near 1.
- **Cohen's kappa** ``(p_o - p_e) / (1 - p_e)``, where ``p_e`` is the agreement expected by chance from each
  rater's own rate of saying "yes", with the **large-sample standard error** of Cohen (1960),
  ``sqrt(p_o (1 - p_o) / (n (1 - p_e)^2))``, as a 95% normal interval clipped to [-1, 1]. It is an
  approximation (Fleiss, Cohen & Everitt 1969 give the exact asymptotic form); with a few dozen comparisons
  it is wide, which is the point of showing it. Kappa is undefined when chance agreement is 1 (both raters
  always said the same one thing); it is then reported as null.
- ``shrink``: an estimate from few observations pulled toward a prior, ``(n x + m prior) / (n + m)``, so a
  reviewer with three checks is neither trusted nor condemned on three checks.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

Z95 = 1.959964


@dataclass(frozen=True)
class Interval:
    """A 95% interval."""

    low: float
    high: float


@dataclass(frozen=True)
class Agreement:
    """How often one rater agreed with a reference on binary judgements, raw and beyond chance."""

    n: int
    agree: int
    raw: float | None
    raw_interval: Interval | None
    kappa: float | None
    kappa_interval: Interval | None


def wilson_interval(successes: int, n: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval of a proportion (None when there are no observations)."""
    if n <= 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(low=max(0.0, centre - half), high=min(1.0, centre + half))


def binary_agreement(pairs: Iterable[tuple[bool, bool]]) -> Agreement:
    """Agreement of (rater, reference) yes/no pairs: counts, raw share with Wilson CI, kappa with its SE CI."""
    table = [[0, 0], [0, 0]]
    for rater, reference in pairs:
        table[int(rater)][int(reference)] += 1
    n = sum(map(sum, table))
    agree = table[0][0] + table[1][1]
    if n == 0:
        return Agreement(n=0, agree=0, raw=None, raw_interval=None, kappa=None, kappa_interval=None)
    p_o = agree / n
    rater_yes = (table[1][0] + table[1][1]) / n
    reference_yes = (table[0][1] + table[1][1]) / n
    p_e = rater_yes * reference_yes + (1 - rater_yes) * (1 - reference_yes)
    kappa = kappa_interval = None
    if p_e < 1:
        kappa = (p_o - p_e) / (1 - p_e)
        se = math.sqrt(p_o * (1 - p_o) / (n * (1 - p_e) ** 2))
        kappa_interval = Interval(low=max(-1.0, kappa - Z95 * se), high=min(1.0, kappa + Z95 * se))
    return Agreement(
        n=n, agree=agree, raw=p_o, raw_interval=wilson_interval(agree, n), kappa=kappa, kappa_interval=kappa_interval
    )


def shrink(estimate: float | None, n: int, *, prior: float, prior_n: float) -> float:
    """``estimate`` from ``n`` observations pulled toward ``prior`` as if it had ``prior_n`` observations."""
    if estimate is None or n <= 0:
        return prior
    return (n * estimate + prior_n * prior) / (n + prior_n)


def hours_worked(times_s: list[float], *, idle_s: float) -> float:
    """Hours spent reviewing, from the times of one reviewer's reviews (seconds, any order).

    Consecutive reviews less than ``idle_s`` apart count the time between them; a longer gap is a break and
    counts like a typical review (the median of the counted gaps), so a session's first review is not free.
    """
    if not times_s:
        return 0.0
    ordered = sorted(times_s)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    worked = [gap for gap in gaps if gap < idle_s]
    typical = sorted(worked)[len(worked) // 2] if worked else idle_s / 10
    breaks = len(gaps) - len(worked) + 1  # each session's first review
    return (sum(worked) + breaks * typical) / 3600
