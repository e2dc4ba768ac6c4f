"""Human-readable renderings of training results: the model card in Markdown and the eval table."""

from __future__ import annotations

import json
import math
from typing import Any

from model.artifact import ModelCard


def nan_to_none(value: Any) -> Any:
    """Metrics with NaN (no positives to measure) as None, so they are written as JSON null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: nan_to_none(v) for k, v in value.items()}
    return value


def _fmt(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def render_metrics_table(metrics: dict[str, Any]) -> str:
    """A Markdown table of per-label metrics, then the macro and clean-listing figures."""
    lines = [
        "| label | AP (PR-AUC) | recall @ 90% precision | F1 @ threshold | threshold | positives |",
        "|---|---|---|---|---|---|",
    ]
    for label, m in metrics["per_label"].items():
        lines.append(
            f"| {label} | {_fmt(m['average_precision'])} | {_fmt(m['recall_at_90_precision'])} | "
            f"{_fmt(m['f1_at_threshold'])} | {_fmt(m['threshold'])} | {m['positives']} |"
        )
    lines.append("")
    lines.append(f"- macro average precision: {_fmt(metrics['macro_average_precision'])}")
    lines.append(f"- any-risk average precision: {_fmt(metrics['any_risk_average_precision'])}")
    lines.append(
        f"- clean listings flagged: {_fmt(metrics['clean_flagged_rate'])} "
        f"(of {metrics['clean_listings']} clean, {metrics['listings']} listings)"
    )
    return "\n".join(lines)


def render_scorer_comparison(metrics: dict[str, dict[str, Any]], *, served: str) -> str:
    """A Markdown table comparing the scorers of one artifact (macro AP, any-risk AP, clean flagged)."""
    lines = [
        "| scorer | macro AP | "
        + " | ".join(f"AP {label}" for label in next(iter(metrics.values()))["per_label"])
        + " | any-risk AP | clean flagged |",
        "|---|---|" + "---|" * len(next(iter(metrics.values()))["per_label"]) + "---|---|",
    ]
    for kind, m in metrics.items():
        per_label = " | ".join(_fmt(v["average_precision"]) for v in m["per_label"].values())
        name = f"**{kind}** (served)" if kind == served else kind
        lines.append(
            f"| {name} | {_fmt(m['macro_average_precision'])} | {per_label} | "
            f"{_fmt(m['any_risk_average_precision'])} | {_fmt(m['clean_flagged_rate'])} |"
        )
    singles = [m["macro_average_precision"] for kind, m in metrics.items() if kind != "ensemble"]
    if "ensemble" in metrics and len(singles) == 2:
        gain = metrics["ensemble"]["macro_average_precision"] - max(singles)
        lines.append("")
        lines.append(f"- ensemble minus the best single scorer: {gain:+.4f} macro AP (target: +0.01)")
    return "\n".join(lines)


def render_model_card(card: ModelCard) -> str:
    """The model card as Markdown, written beside the weights."""
    data, counts, cutoffs, selection = card.data, card.data.counts, card.priority_cutoffs, card.selection
    parts = [
        f"# Model card: {card.version}",
        "",
        f"- scorer: {card.scorer}; labels: {', '.join(card.labels)}",
        f"- created: {card.created_at}; training time: {card.training_seconds} s",
        f"- data: `{data.path}` (sha256 {data.sha256[:16]}…); split {data.split}",
        "- listings: " + ", ".join(f"{name} {counts[name]['total']}" for name in ("train", "valid", "test")),
        f"- ../shared: {data.shared.note}",
        f"- thresholds (chosen for F1 on the selection data): {json.dumps(card.thresholds)}",
        f"- priority: high if risk ≥ {cutoffs.high}, medium if ≥ {cutoffs.medium}",
        "",
        *(
            [
                "## Scorers (test split; served: chosen on the selection data)",
                "",
                render_scorer_comparison(
                    {kind: part.metrics["test"] for kind, part in card.scorers.items()}, served=card.scorer
                ),
                "",
                f"- selection rule: {selection['rule']}",
                "- selection scores (macro AP per part and their mean): " + json.dumps(selection["scores"]),
                "",
            ]
            if len(card.scorers) > 1
            else []
        ),
        "## Test split",
        "",
        render_metrics_table(card.metrics["test"]),
        "",
        "## Validation split",
        "",
        render_metrics_table(card.metrics["valid"]),
        "",
        "## Config",
        "",
        "```json",
        json.dumps(card.config, ensure_ascii=False, indent=2),
        "```",
        "",
    ]
    return "\n".join(parts)


def render_slices_table(slices: dict[str, dict[str, Any]]) -> str:
    """A Markdown table of per-slice metrics."""
    lines = ["| slice | listings | macro AP | clean flagged |", "|---|---|---|---|"]
    for name, m in slices.items():
        lines.append(
            f"| {name} | {m['listings']} | {_fmt(m['macro_average_precision'])} | "
            f"{_fmt(m['clean_flagged_rate'])} (of {m['clean_listings']}) |"
        )
    return "\n".join(lines)
