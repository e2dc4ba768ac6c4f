"""The retraining run's outputs for people: the label issues file, the precision-recall plot and ``report.md``."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from training.label_issues import LabelIssue
from training.review_weights import WeightingSummary, render_weighting


def write_issues(path: Path, issues: list[LabelIssue]) -> None:
    """The likely label issues as JSONL, most likely first."""
    with path.open("w", encoding="utf-8") as handle:
        for issue in issues:
            handle.write(json.dumps(asdict(issue), ensure_ascii=False) + "\n")


def plot_pr_curves(
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
