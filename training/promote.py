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
import os
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import point_current, resolve_model_dir
from model.errors import ArtifactError
from model.listing_key import listing_key
from model.predictor import Predictor
from model.schema import Listing
from training.config import TrainConfig
from training.dataset import Example, _unit_hash, example_weights, label_matrix, load_examples, load_real_negatives
from training.evaluate import compute_metrics
from training.label_issues import LabelIssue, find_label_issues, out_of_fold_probabilities
from training.report import nan_to_none
from training.review_weights import WeightingSummary, apply_weights, render_weighting, summarize
from training.split import inherit_split, load_split
from training.train import train

log = logging.getLogger("training.promote")
REGISTRY_FILE = "registry.jsonl"


@dataclass(frozen=True)
class Decision:
    """Whether the challenger replaces the champion, and why, in plain words."""

    promote: bool
    reason: str


def latest_reviews(reviews: list[Example]) -> dict[str, Example]:
    """One reviewed example per listing: the latest review (by ``reviewed_at``, else file order) wins."""
    latest: dict[str, Example] = {}
    order = sorted(range(len(reviews)), key=lambda i: (str(reviews[i].extras.get("reviewed_at") or ""), i))
    for i in order:
        latest[listing_key(reviews[i].listing)] = reviews[i]
    return latest


def merge_reviews(
    seed: list[Example], latest: dict[str, Example], *, frozen_share: float, seed_value: int
) -> tuple[list[Example], list[Example]]:
    """(training data: seed with the latest reviews applied, frozen reviewed listings that never train)."""
    frozen = {key: e for key, e in latest.items() if _unit_hash(f"frozen|{key}", seed_value) < frozen_share}
    unused = {key: e for key, e in latest.items() if key not in frozen}
    merged: list[Example] = []
    for example in seed:
        key = listing_key(example.listing)
        if key in frozen:
            continue  # the same listing is frozen for evaluation: its seed copy must not train either
        review = unused.pop(key, None)
        merged.append(example if review is None else inherit_split(review, example))
    merged += unused.values()
    return merged, list(frozen.values())


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


@dataclass(frozen=True)
class RetrainData:
    """The seed and reviewed data of one retraining run, merged, with what the review weighting did."""

    seed: list[Example]
    reviews: list[Example]
    latest: dict[str, Example]
    excluded: dict[str, Example]
    merged: list[Example]
    frozen: list[Example]
    weighting: WeightingSummary


def prepare_data(config: TrainConfig, reviews_path: Path, *, frozen_share: float, weighted: bool) -> RetrainData:
    """Read seed and reviews, keep each listing's latest review, weigh them (``training.review_weights``), merge."""
    seed = load_examples(config.resolve(config.data_path), labels=config.labels)
    reviews = load_examples(reviews_path, labels=config.labels)
    latest = latest_reviews(reviews)
    used, excluded = apply_weights(latest, weighted=weighted)
    merged, frozen = merge_reviews(seed, used, frozen_share=frozen_share, seed_value=config.seed)
    summary = summarize(latest, weighted=weighted)
    return RetrainData(seed, reviews, latest, excluded, merged, frozen, summary)


def write_training_data(run_dir: Path, config: TrainConfig, data: RetrainData, name: str) -> TrainConfig:
    """Write the merged data to ``run_dir/name`` and return the config that trains on it."""
    data_path = run_dir / name
    _write_examples(data_path, data.merged)
    return replace(config, data_path=str(data_path.resolve()))


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
    seed, reviews, latest, merged, frozen = data.seed, data.reviews, data.latest, data.merged, data.frozen
    run_dir = out_dir / started.strftime("%Y%m%dT%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    challenger_config = write_training_data(run_dir, config, data, "training_data.jsonl")
    log.info("retrain: %d seed + %d reviewed (%d frozen for evaluation)", len(seed), len(reviews), len(frozen))

    # label issues on what the challenger trains on, from models that never saw the example's seller
    split = load_split(challenger_config)
    negatives, _, _ = load_real_negatives(
        config.real_negative_files, max_listings=config.real_negative_max, seed=config.seed
    )
    weights = np.concatenate([example_weights(split.train), np.full(len(negatives), config.real_negative_weight)])
    train_examples = split.train + negatives
    oof = out_of_fold_probabilities(challenger_config, train_examples, weights)
    labelled = len(split.train)  # real negatives are presumed clean, not reviewed: list issues of labelled data
    issues = find_label_issues([e.listing for e in split.train], oof[:labelled], config.labels)
    _write_issues(run_dir / "label_issues.jsonl", issues)

    result = train(challenger_config, promote=False)
    challenger = Predictor.load(result.model_dir)
    evaluation = [e.listing for e in split.test] + [e.listing for e in frozen]
    challenger_metrics, challenger_probability = _metrics(challenger, evaluation, config.labels)
    champion_metrics, champion_probability, champion_version = None, None, None
    try:
        champion = Predictor.load(resolve_model_dir(models_dir))
        if champion.labels != config.labels:
            raise ArtifactError(f"champion predicts {champion.labels}, the challenger {config.labels}")
        champion_version = champion.version
        champion_metrics, champion_probability = _metrics(champion, evaluation, config.labels)
    except ArtifactError as exc:
        log.warning("no comparable champion: %s", exc)
    decision = decide(champion_metrics, challenger_metrics, tolerance=tolerance)
    reload_outcome = None
    if decision.promote:
        point_current(models_dir, result.model_dir)
        reload_outcome = request_reload(reload_url, admin_key) if reload_url else "no service URL given: not reloaded"

    record = {
        "run_at": started.isoformat(timespec="seconds"),
        "challenger": result.version,
        "champion": champion_version,
        "data_sha256": result.card["data"]["sha256"],
        "counts": {
            "seed": len(seed),
            "reviews": len(reviews),
            "reviewed_listings": len(latest),
            "excluded_reviews": len(data.excluded),
            "frozen_reviewed": len(frozen),
            "training_data": len(merged),
            "evaluation": len(evaluation),
            "label_issues": len(issues),
        },
        "tolerance": tolerance,
        "weighting": data.weighting.as_dict(),
        "metrics": {"challenger": challenger_metrics, "champion": champion_metrics},
        "decision": "promoted" if decision.promote else "refused",
        "reason": decision.reason,
        "reload": reload_outcome,
        "report": str(run_dir / "report.md"),
    }
    with (models_dir / REGISTRY_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(nan_to_none(record), ensure_ascii=False) + "\n")
    target = label_matrix(evaluation, config.labels)
    _plot_pr_curves(run_dir / "pr_curves.png", target, champion_probability, challenger_probability, config.labels)
    (run_dir / "report.md").write_text(render_report(record, issues, data.weighting), encoding="utf-8")
    return record


def _write_examples(path: Path, examples: list[Example]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for example in examples:
            line = example.listing.model_dump(mode="json")
            line.update({k: v for k, v in example.extras.items() if k not in line})
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def _write_issues(path: Path, issues: list[LabelIssue]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for issue in issues:
            handle.write(json.dumps(asdict(issue), ensure_ascii=False) + "\n")


def _plot_pr_curves(
    path: Path,
    target: np.ndarray,
    champion: np.ndarray | None,
    challenger: np.ndarray,
    labels: tuple[str, ...],
) -> None:
    """One precision-recall panel per label, champion and challenger on the same evaluation set."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    figure, axes = plt.subplots(1, len(labels), figsize=(4 * len(labels), 3.6), squeeze=False)
    for column, (axis, label) in enumerate(zip(axes[0], labels, strict=True)):
        if target[:, column].sum() == 0:
            axis.set_title(f"{label}: no positives")
            continue
        for name, probability, style in (("champion", champion, "--"), ("challenger", challenger, "-")):
            if probability is not None:
                precision, recall, _ = precision_recall_curve(target[:, column], probability[:, column])
                axis.plot(recall, precision, style, label=name)
        axis.set(title=label, xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
        axis.legend(loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def render_report(record: dict[str, Any], issues: list[LabelIssue], weighting: WeightingSummary) -> str:
    """A short Markdown report of one retraining run."""
    challenger, champion = record["metrics"]["challenger"], record["metrics"]["champion"]
    lines = [
        f"# Retraining run {record['run_at']}",
        "",
        f"**Decision: {record['decision']}** — {record['reason']}.",
        f"Reload: {record['reload'] or 'not requested'}.",
        "",
        f"Challenger `{record['challenger']}`, champion `{record['champion']}`, data SHA-256 "
        f"`{record['data_sha256'][:16]}…`, tolerance {record['tolerance']}.",
        "",
        "| counts | |",
        "|---|---|",
        *(f"| {name.replace('_', ' ')} | {value} |" for name, value in record["counts"].items()),
        "",
        "Evaluation set (frozen: the merged data's test split + frozen reviewed listings), average precision:",
        "",
        "| label | champion | challenger |",
        "|---|---|---|",
    ]
    for label, metrics in challenger["per_label"].items():
        before = champion["per_label"][label]["average_precision"] if champion else None
        lines.append(f"| {label} | {_fmt(before)} | {_fmt(metrics['average_precision'])} |")
    lines.append(
        f"| **macro** | {_fmt(champion['macro_average_precision'] if champion else None)} | "
        f"{_fmt(challenger['macro_average_precision'])} |"
    )
    lines += ["", "![precision-recall curves](pr_curves.png)", "", *render_weighting(weighting)]
    lines += [f"## Likely label issues ({len(issues)})", ""]
    lines.append("Training examples whose label out-of-fold predictions most contradict; for review, not dropped.")
    lines += ["", "| listing | label | given | probability | title |", "|---|---|---|---|---|"]
    for issue in issues[:30]:
        title = issue.title.replace("|", "/")[:80]
        lines.append(f"| {issue.listing_id} | {issue.label} | {issue.given} | {issue.probability:.3f} | {title} |")
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.3f}"
