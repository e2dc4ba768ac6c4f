"""Reviewed labels in retraining: how much each counts, and what the weighting changed.

The export (``GET /v1/reviews/export``) gives every reviewed listing a ``provenance`` (``single`` review,
``double_agreed``, ``lead_decision``, or ``disputed`` and waiting for a lead) and a ``weight`` in [0, 1] from its
reviewer's measured reliability (serving computes it; training only reads the JSONL). Retraining uses the weight
as the example's sample weight; a weight of 0 (an excluded reviewer, an undecided dispute) leaves the review out
altogether: it neither trains nor overrides the seed label of the same listing nor enters the evaluation set.
Without weighting (``--unweighted``) every review counts fully, which is what the comparison measures against.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from training.dataset import WEIGHT_FIELD, Example, example_weights

PROVENANCE_FIELD = "provenance"
REVIEWER_FIELD = "reviewer"


@dataclass(frozen=True)
class ReviewerWeighting:
    """What weighting did to one reviewer's labels."""

    reviewer: str
    labels: int
    full: int  # weight 1 (agreed double reviews, lead decisions, or a fully trusted reviewer)
    down_weighted: int  # 0 < weight < 1
    excluded: int  # weight 0
    mean_weight: float


@dataclass(frozen=True)
class WeightingSummary:
    """What weighting changed, over the latest review of every reviewed listing."""

    weighted: bool
    by_provenance: dict[str, int]
    down_weighted: int
    excluded: int
    reviewers: list[ReviewerWeighting] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the registry record."""
        return asdict(self)


def weight_of(example: Example) -> float:
    """A reviewed example's training weight (1 when its line carries none)."""
    return float(example_weights([example])[0])


def unweighted(example: Example) -> Example:
    """The example counting fully, whatever its reviewer's reliability."""
    return Example(listing=example.listing, extras={**example.extras, WEIGHT_FIELD: 1.0})


def apply_weights(latest: dict[str, Example], *, weighted: bool) -> tuple[dict[str, Example], dict[str, Example]]:
    """(used, excluded) reviewed listings: weighted, zero-weight reviews are left out; unweighted, all count as 1."""
    if not weighted:
        return {key: unweighted(example) for key, example in latest.items()}, {}
    used = {key: example for key, example in latest.items() if weight_of(example) > 0}
    excluded = {key: example for key, example in latest.items() if key not in used}
    return used, excluded


def summarize(latest: dict[str, Example], *, weighted: bool) -> WeightingSummary:
    """Per reviewer and in total: labels kept at full weight, down-weighted, excluded; counts by provenance."""
    by_reviewer: dict[str, list[float]] = defaultdict(list)
    provenance: Counter[str] = Counter()
    counted = latest if weighted else {key: unweighted(example) for key, example in latest.items()}
    for example in counted.values():
        by_reviewer[str(example.extras.get(REVIEWER_FIELD) or "(unknown)")].append(weight_of(example))
        provenance[str(example.extras.get(PROVENANCE_FIELD) or "(none)")] += 1
    reviewers = [
        ReviewerWeighting(
            reviewer=name,
            labels=len(weights),
            full=sum(w >= 1 for w in weights),
            down_weighted=sum(0 < w < 1 for w in weights),
            excluded=sum(w <= 0 for w in weights),
            mean_weight=round(sum(weights) / len(weights), 4),
        )
        for name, weights in sorted(by_reviewer.items())
    ]
    return WeightingSummary(
        weighted=weighted,
        by_provenance=dict(sorted(provenance.items())),
        down_weighted=sum(r.down_weighted for r in reviewers),
        excluded=sum(r.excluded for r in reviewers),
        reviewers=reviewers,
    )


def render_weighting(summary: WeightingSummary) -> list[str]:
    """Markdown lines for the retraining report."""
    state = "on" if summary.weighted else "off (every review counted fully)"
    lines = [
        f"## Review weighting ({state})",
        "",
        f"{summary.down_weighted} reviewed labels down-weighted, {summary.excluded} excluded (weight 0: not trained "
        "on, not overriding the seed label, not in the evaluation set). By provenance: "
        + ", ".join(f"{name} {count}" for name, count in summary.by_provenance.items())
        + ".",
        "",
        "| reviewer | labels | full weight | down-weighted | excluded | mean weight |",
        "|---|---|---|---|---|---|",
    ]
    for r in summary.reviewers:
        lines.append(f"| {r.reviewer} | {r.labels} | {r.full} | {r.down_weighted} | {r.excluded} | {r.mean_weight} |")
    return [*lines, ""]
