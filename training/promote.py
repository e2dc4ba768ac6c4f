"""Retraining on reviewed listings, and promotion of the challenger only when it is better.

``python -m training retrain --reviews reviews.jsonl`` (``make retrain``):
1. merge the reviewed listings (the JSONL that ``GET /v1/reviews/export`` and ``python -m serving export``
   write) with the seed data: a review overrides the seed label of the same listing, the latest review wins;
   each review weighs what the export says its reviewer's reliability is worth, and a review of weight 0 is left
   out (``training.review_weights``);
2. hold out a frozen share of reviewed listings (chosen by a hash of the listing, so a listing once frozen stays
   frozen as reviews accumulate): they never enter training;
3. list likely label issues from out-of-fold predictions (confident learning) for reviewers, dropping nothing;
4. train a challenger on the merged data;
5. evaluate champion (``models/current``) and challenger on the same frozen evaluation set: the merged data's
   test split (sellers never trained on) plus the frozen reviewed listings;
6. promote (repoint ``current``, ask the running service to reload) only if the challenger is not worse than
   the champion on any label's average precision by more than the tolerance, and better on the macro average;
7. append a registry record (``models/registry.jsonl``) and write a report with PR curves.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import point_current, resolve_model_dir
from model.errors import ArtifactError
from model.predictor import Predictor
from model.schema import Listing
from training.config import TrainConfig
from training.dataset import (
    Split,
    example_weights,
    label_matrix,
    load_real_negatives,
)
from training.evaluate import compute_metrics
from training.label_issues import LabelIssue, find_label_issues, out_of_fold_probabilities
from training.report import nan_to_none
from training.retrain_data import RetrainData, prepare_data, write_training_data
from training.retrain_report import plot_pr_curves, render_report, write_issues
from training.split import load_split
from training.train import TrainResult, train

log = logging.getLogger("training.promote")
REGISTRY_FILE = "registry.jsonl"


@dataclass(frozen=True)
class Decision:
    """Whether the challenger replaces the champion, and why, in plain words."""

    promote: bool
    reason: str


def decide(champion: dict[str, Any] | None, challenger: dict[str, Any], *, tolerance: float) -> Decision:
    """Promote only if no label's AP drops by more than ``tolerance`` and the macro AP rises."""
    if champion is None:
        return Decision(True, "no current model: the challenger becomes the first champion")
    worse = []
    for label, metrics in challenger["per_label"].items():
        before = champion["per_label"].get(label, {}).get("average_precision")
        after = metrics["average_precision"]
        if before is not None and not np.isnan(before) and not np.isnan(after) and after < before - tolerance:
            worse.append(f"{label} AP {after:.3f} < {before:.3f} - {tolerance}")
    macro_before, macro_after = champion["macro_average_precision"], challenger["macro_average_precision"]
    if worse:
        return Decision(False, "refused: worse on " + "; ".join(worse))
    if not macro_after > macro_before:
        return Decision(False, f"refused: macro AP {macro_after:.4f} is not above the champion's {macro_before:.4f}")
    return Decision(
        True, f"promoted: macro AP {macro_before:.4f} -> {macro_after:.4f}, no label worse by more than {tolerance}"
    )


def request_reload(url: str, admin_key: str | None, *, timeout_s: float = 10.0) -> str:
    """Ask a running service to load the new ``current`` model; a plain-words outcome, never an exception."""
    request = urllib.request.Request(url, method="POST", data=b"")
    if admin_key:
        request.add_header("Authorization", f"Bearer {admin_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return f"service reloaded ({response.status})"
    except urllib.error.HTTPError as exc:
        return f"service answered {exc.code} to the reload request; reload it by hand"
    except (urllib.error.URLError, OSError) as exc:
        return f"no service reached at {url} ({exc}); it will load the new model when it next starts or reloads"


def _metrics(predictor: Predictor, listings: list[Listing], labels: tuple[str, ...]) -> tuple[dict, np.ndarray]:
    probability = predictor.predict_proba(listings)[:, : len(labels)]
    target = label_matrix(listings, labels)
    return compute_metrics(target, probability, labels=labels, thresholds=predictor.thresholds), probability


def list_label_issues(config: TrainConfig, challenger_config: TrainConfig, split: Split) -> list[LabelIssue]:
    """Likely label issues of what the challenger trains on, from models that never saw the example's seller.

    Real negatives are presumed clean, not reviewed: they train the out-of-fold models, but only the labelled data's
    issues are listed.
    """
    negatives, _, _ = load_real_negatives(
        config.real_negative_files, max_listings=config.real_negative_max, seed=config.seed
    )
    weights = np.concatenate([example_weights(split.train), np.full(len(negatives), config.real_negative_weight)])
    oof = out_of_fold_probabilities(challenger_config, split.train + negatives, weights)
    labelled = len(split.train)
    return find_label_issues([e.listing for e in split.train], oof[:labelled], config.labels)


@dataclass(frozen=True)
class Comparison:
    """Champion and challenger on the same frozen evaluation set (the champion's parts None when there is none)."""

    evaluation: list[Listing]
    challenger_metrics: dict[str, Any]
    challenger_probability: np.ndarray
    champion_metrics: dict[str, Any] | None = None
    champion_probability: np.ndarray | None = None
    champion_version: str | None = None


def compare(challenger_dir: Path, models_dir: Path, evaluation: list[Listing], labels: tuple[str, ...]) -> Comparison:
    """Evaluate the challenger and the current champion (if it predicts the same labels) on ``evaluation``."""
    challenger_metrics, challenger_probability = _metrics(Predictor.load(challenger_dir), evaluation, labels)
    comparison = Comparison(evaluation, challenger_metrics, challenger_probability)
    try:
        champion = Predictor.load(resolve_model_dir(models_dir))
        if champion.labels != labels:
            raise ArtifactError(f"champion predicts {champion.labels}, the challenger {labels}")
        champion_metrics, champion_probability = _metrics(champion, evaluation, labels)
    except ArtifactError as exc:
        log.warning("no comparable champion: %s", exc)
        return comparison
    return replace(
        comparison,
        champion_metrics=champion_metrics,
        champion_probability=champion_probability,
        champion_version=champion.version,
    )


def build_record(
    *,
    started: datetime,
    result: TrainResult,
    data: RetrainData,
    comparison: Comparison,
    issues: list[LabelIssue],
    decision: Decision,
    reload_outcome: str | None,
    tolerance: float,
    run_dir: Path,
) -> dict[str, Any]:
    """The registry record of one retraining run (``models/registry.jsonl``)."""
    return {
        "run_at": started.isoformat(timespec="seconds"),
        "challenger": result.version,
        "champion": comparison.champion_version,
        "data_sha256": result.card.data.sha256,
        "counts": {
            "seed": len(data.seed),
            "reviews": len(data.reviews),
            "reviewed_listings": len(data.latest),
            "excluded_reviews": len(data.excluded),
            "frozen_reviewed": len(data.frozen),
            "training_data": len(data.merged),
            "evaluation": len(comparison.evaluation),
            "label_issues": len(issues),
        },
        "tolerance": tolerance,
        "weighting": data.weighting.as_dict(),
        "metrics": {"challenger": comparison.challenger_metrics, "champion": comparison.champion_metrics},
        "decision": "promoted" if decision.promote else "refused",
        "reason": decision.reason,
        "reload": reload_outcome,
        "report": str(run_dir / "report.md"),
    }


def retrain(
    config: TrainConfig,
    reviews_path: Path,
    *,
    out_dir: Path,
    tolerance: float = 0.01,
    frozen_share: float = 0.2,
    weighted: bool = True,
    reload_url: str | None = None,
    admin_key: str | None = None,
) -> dict[str, Any]:
    """Run the whole loop; returns the registry record (also appended to ``models/registry.jsonl``)."""
    started = datetime.now(UTC)
    models_dir = config.resolve(config.models_dir)
    data = prepare_data(config, reviews_path, frozen_share=frozen_share, weighted=weighted)
    run_dir = out_dir / started.strftime("%Y%m%dT%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    challenger_config = write_training_data(run_dir, config, data, "training_data.jsonl")
    log.info(
        "retrain: %d seed + %d reviewed (%d frozen for evaluation)", len(data.seed), len(data.reviews), len(data.frozen)
    )
    split = load_split(challenger_config)
    issues = list_label_issues(config, challenger_config, split)
    write_issues(run_dir / "label_issues.jsonl", issues)
    result = train(challenger_config, promote=False)
    evaluation = [e.listing for e in split.test] + [e.listing for e in data.frozen]
    comparison = compare(result.model_dir, models_dir, evaluation, config.labels)
    decision = decide(comparison.champion_metrics, comparison.challenger_metrics, tolerance=tolerance)
    reload_outcome = None
    if decision.promote:
        point_current(models_dir, result.model_dir)
        reload_outcome = request_reload(reload_url, admin_key) if reload_url else "no service URL given: not reloaded"
    record = build_record(
        started=started,
        result=result,
        data=data,
        comparison=comparison,
        issues=issues,
        decision=decision,
        reload_outcome=reload_outcome,
        tolerance=tolerance,
        run_dir=run_dir,
    )
    with (models_dir / REGISTRY_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(nan_to_none(record), ensure_ascii=False) + "\n")
    target = label_matrix(evaluation, config.labels)
    plot_pr_curves(
        run_dir / "pr_curves.png",
        target,
        comparison.champion_probability,
        comparison.challenger_probability,
        config.labels,
    )
    (run_dir / "report.md").write_text(render_report(record, issues, data.weighting), encoding="utf-8")
    return record
