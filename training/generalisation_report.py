"""The generalisation part of ``make eval``: one call that measures (``training.generalisation``) and prints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from model.predictor import Predictor
from model.schema import Listing
from training.config import TrainConfig
from training.generalisation import (
    MIX_SKIPPED,
    check_targets,
    compare_splits,
    evaluate_blind_sets,
    target_values,
)


def _fmt(value: Any, *, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    return f"{value:.2%}" if percent else f"{value:.3f}"


def render_split_comparison(splits: dict[str, Any]) -> str:
    """The seed test on the pool split and on the old seller split, side by side."""
    lines = [
        f"seed test, the same served model on both splits (it was trained on the {splits['model_split']} split):",
        "| split | listings | trained on | macro AP | AP counterfeit | clean flagged |",
        "|---|---|---|---|---|---|",
    ]
    for mode, what in (("pool", "phrase pool (honest)"), ("seller", "seller hash (old; shares phrases)")):
        m = splits.get(mode, {})
        if "note" in m:
            lines.append(f"| {what} | {m['note']} | | | | |")
            continue
        counterfeit = m["per_label"].get("counterfeit", {}).get("average_precision")
        lines.append(
            f"| {what} | {m['listings']} | {m['trained_on_listings']} | {_fmt(m['macro_average_precision'])} | "
            f"{_fmt(counterfeit)} | {_fmt(m['clean_flagged_rate'])} |"
        )
    return "\n".join(lines)


def render_blind_sets(blind: dict[str, Any]) -> str:
    """Blind sets: macro AP, per-label AP, counterfeit AP, R@90P and the 3% mix."""
    if not blind:
        return "blind sets: none present"
    labels = list(next(iter(blind.values()))["per_label_average_precision"])
    lines = [
        "| set | listings | macro AP | "
        + " | ".join(f"AP {label}" for label in labels)
        + " | counterfeit R@90P | counterfeit AP at 3% among real |",
        "|---|---|---|" + "---|" * len(labels) + "---|---|",
    ]
    for name, m in blind.items():
        mix = m.get("mixed_3pct", {})
        mixed = mix.get("note") or f"{_fmt(mix['average_precision'])} ({mix['positives']} in {mix['real_listings']})"
        lines.append(
            f"| {name} | {m['listings']} | {_fmt(m['macro_average_precision'])} | "
            + " | ".join(_fmt(m["per_label_average_precision"][label]) for label in labels)
            + f" | {_fmt(m.get('counterfeit_recall_at_90_precision'))} | {mixed} |"
        )
    return "\n".join(lines)


def render_targets(rows: list[dict[str, Any]]) -> str:
    """The issue's targets, each with its measured value and status."""
    lines = ["| target | goal | measured | status |", "|---|---|---|---|"]
    for row in rows:
        percent = row["target"].startswith("real_")
        goal = f"{row['goal'][:2]} {float(row['goal'][3:]):.1%}" if percent else row["goal"]
        lines.append(f"| {row['what']} | {goal} | {_fmt(row['value'], percent=percent)} | {row['status']} |")
    return "\n".join(lines)


def report_generalisation(
    predictor: Predictor, config: TrainConfig, report: dict[str, Any], real: Sequence[Listing]
) -> dict[str, Any]:
    """Seed test on both splits, blind sets with the 3% mix, and the targets table; printed, and returned for
    ``reports/eval.json``. ``report`` is the eval report so far (its ``false_alarms`` feed two targets)."""
    splits = compare_splits(predictor, config)
    blind = evaluate_blind_sets(predictor, config, real)
    targets = check_targets(target_values(blind, report.get("false_alarms")))
    print(render_split_comparison(splits))
    print()
    print("blind sets (never trained on; the holdout takes part in model selection):")
    print(render_blind_sets(blind))
    if not real:
        print(f"- 3% prevalence mix: {MIX_SKIPPED}")
    print()
    print("targets (issue 11):")
    print(render_targets(targets))
    print()
    return {"seed_splits": splits, "blind_sets": blind, "targets": targets}
