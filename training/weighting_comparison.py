"""Does weighting reviews by reliability help? Two challengers on the same reviews, weighted and unweighted,
scored on one frozen evaluation set.

The evaluation set is the weighted run's (``training.promote``): the merged data's test split (sellers never
trained on) plus the frozen reviewed listings whose labels training trusts (weight > 0). Both challengers are
trained exactly as ``make retrain`` trains one, without promotion; neither sees the evaluation set. The
unweighted one also leaves out the frozen reviews of excluded reviewers (they fall in its own frozen share),
which, if anything, spares it some noisy labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from model.predictor import Predictor
from model.schema import Listing
from training.config import TrainConfig
from training.dataset import label_matrix
from training.evaluate import compute_metrics
from training.fit_ensemble import macro_ap
from training.report import nan_to_none
from training.retrain_data import prepare_data, write_training_data
from training.review_weights import WeightingSummary
from training.split import load_split
from training.train import train


@dataclass(frozen=True)
class WeightingComparison:
    """Macro and per-label average precision of both challengers on the same evaluation set."""

    evaluation_listings: int
    weighted_macro_ap: float
    unweighted_macro_ap: float
    weighted_ap: dict[str, float]
    unweighted_ap: dict[str, float]
    weighting: WeightingSummary
    # the same evaluation listings scored against other labels (a simulation's true labels), when asked for
    weighted_macro_ap_relabelled: float | None = None
    unweighted_macro_ap_relabelled: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for a report."""
        return nan_to_none(asdict(self))


def compare_weighting(
    config: TrainConfig,
    reviews_path: Path,
    *,
    out_dir: Path,
    frozen_share: float = 0.2,
    relabel: Callable[[Listing], list[str]] | None = None,
) -> WeightingComparison:
    """Train a weighted and an unweighted challenger on the same reviews; score both on one frozen set.

    ``relabel`` (a simulation knows the truth) also scores both against other labels of the same listings.
    """
    run_dir = out_dir / datetime.now(UTC).strftime("compare-%Y%m%dT%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    weighted = prepare_data(config, reviews_path, frozen_share=frozen_share, weighted=True)
    plain = prepare_data(config, reviews_path, frozen_share=frozen_share, weighted=False)
    weighted_config = write_training_data(run_dir, config, weighted, "weighted.jsonl")
    plain_config = write_training_data(run_dir, config, plain, "unweighted.jsonl")
    evaluation = [e.listing for e in load_split(weighted_config).test] + [e.listing for e in weighted.frozen]
    target = label_matrix(evaluation, config.labels)
    other = (
        label_matrix([e.model_copy(update={"labels": relabel(e)}) for e in evaluation], config.labels)
        if relabel
        else None
    )
    results, relabelled = [], []
    for challenger_config in (weighted_config, plain_config):
        predictor = Predictor.load(train(challenger_config, promote=False).model_dir)
        probability = predictor.predict_proba(evaluation)[:, : len(config.labels)]
        results.append(compute_metrics(target, probability, labels=config.labels, thresholds=predictor.thresholds))
        if other is not None:
            relabelled.append(macro_ap(other, probability))
    return WeightingComparison(
        evaluation_listings=len(evaluation),
        weighted_macro_ap=results[0]["macro_average_precision"],
        unweighted_macro_ap=results[1]["macro_average_precision"],
        weighted_ap={label: m["average_precision"] for label, m in results[0]["per_label"].items()},
        unweighted_ap={label: m["average_precision"] for label, m in results[1]["per_label"].items()},
        weighting=weighted.weighting,
        weighted_macro_ap_relabelled=relabelled[0] if relabelled else None,
        unweighted_macro_ap_relabelled=relabelled[1] if relabelled else None,
    )
