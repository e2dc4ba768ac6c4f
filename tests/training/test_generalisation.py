"""Eval reporting of generalisation: both seed splits, blind sets, the 3% prevalence mix and the targets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from model.predictor import Predictor
from model.schema import Listing
from tests.conftest import TINY_ITEMS, write_tiny_dataset
from training.generalisation import (
    MIX_SKIPPED,
    check_targets,
    compare_splits,
    evaluate_blind_set,
    mixed_counterfeit_ap,
    real_sample_order,
    target_values,
)
from training.generalisation_report import render_blind_sets, render_split_comparison, render_targets
from training.train import TrainResult, train

from ..conftest import make_tiny_config


def test_mix_puts_positives_at_three_percent_and_measures_ap() -> None:
    rng = np.random.default_rng(0)
    positives = rng.uniform(0.5, 1.0, 30)
    real = rng.uniform(0.0, 0.6, 5000)
    mix = mixed_counterfeit_ap(positives, real, prevalence=0.03)
    assert mix["positives"] == 30 and mix["real_listings"] == 970 and mix["prevalence"] == pytest.approx(0.03)
    expected = average_precision_score(np.r_[np.ones(30), np.zeros(970)], np.r_[positives, real[:970]])
    assert mix["average_precision"] == pytest.approx(expected) and 0 < mix["average_precision"] < 1
    # perfect separation gives AP 1; too few real listings are all used and the prevalence says so
    assert mixed_counterfeit_ap(np.full(10, 0.9), np.full(50, 0.1), prevalence=0.03)["average_precision"] == 1.0
    short = mixed_counterfeit_ap(np.full(10, 0.9), np.full(50, 0.1), prevalence=0.03)
    assert short["real_listings"] == 50 and short["prevalence"] == pytest.approx(10 / 60)
    assert "note" in mixed_counterfeit_ap(np.array([]), real, prevalence=0.03)


def test_the_real_sample_is_deterministic_and_a_prefix() -> None:
    real = [Listing(id=f"r-{i}", title=f"Son môi số {i}") for i in range(200)]
    order = real_sample_order(real)
    assert [x.id for x in order] == [x.id for x in real_sample_order(list(reversed(real)))]
    assert sorted(x.id for x in order) == sorted(x.id for x in real) and order[:5] != real[:5]


def test_targets_say_met_missed_or_not_measured() -> None:
    blind = {
        "blind_counterfeit": {
            "counterfeit_average_precision": 0.95,
            "counterfeit_recall_at_90_precision": 0.5,
            "mixed_3pct": {"note": MIX_SKIPPED},
        },
        "holdout": {"macro_average_precision": float("nan")},
    }
    alarms = {"high_priority_rate": 0.001, "flagged_rate_by_label": {"counterfeit": 0.02}}
    rows = {row["target"]: row for row in check_targets(target_values(blind, alarms))}
    assert rows["blind_counterfeit_ap"]["status"] == "met"
    assert rows["blind_counterfeit_r90"]["status"] == "missed"
    assert rows["holdout_macro_ap"]["status"].startswith("not measured") and rows["holdout_macro_ap"]["value"] is None
    assert rows["real_high_rate"]["status"] == "met" and rows["real_counterfeit_rate"]["status"] == "missed"
    assert rows["blind_counterfeit_mix_ap"]["status"].startswith("not measured")
    table = render_targets(list(rows.values()))
    assert "<= 0.5%" in table and "0.10%" in table and "| missed |" in table


def test_a_blind_set_reports_counterfeit_ap_recall_and_the_mix(trained: TrainResult) -> None:
    predictor = Predictor.load(trained.model_dir)
    listings = [Listing(title=title, labels=labels) for title, labels in TINY_ITEMS * 2]
    real = np.linspace(0.0, 0.5, 400)
    result = evaluate_blind_set(predictor, listings, real)
    assert set(result["per_label_average_precision"]) == {"counterfeit", "smuggled", "prohibited"}
    assert 0 <= result["counterfeit_average_precision"] <= 1 and 0 <= result["counterfeit_recall_at_90_precision"] <= 1
    assert result["mixed_3pct"]["positives"] == 10 and result["mixed_3pct"]["real_listings"] == 323
    assert evaluate_blind_set(predictor, listings, None)["mixed_3pct"] == {"note": MIX_SKIPPED}
    assert "counterfeit AP at 3% among real" in render_blind_sets({"tiny": result})


def _write_pool_split_data(tmp_path: Path) -> Path:
    """The tiny dataset with a split field: each tiny item (its "pool entry") on one side only."""
    path = write_tiny_dataset(tmp_path / "plain.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        item = int(row["id"].split("-")[1]) % len(TINY_ITEMS)
        row["pool_entry"] = f"item-{item}"
        row["split"] = "test" if item % 5 == 0 else "valid" if item % 5 == 1 else "train"
    out = tmp_path / "pool.jsonl"
    out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return out


def test_the_same_model_is_scored_on_both_seed_splits(tmp_path: Path) -> None:
    config = make_tiny_config(_write_pool_split_data(tmp_path), tmp_path / "models")
    result = train(config, promote=False)
    assert result.card.data.split_mode == "pool"
    splits = compare_splits(Predictor.load(result.model_dir), config)
    assert splits["model_split"] == "pool"
    assert splits["pool"]["trained_on_listings"] == 0
    assert splits["pool"]["listings"] == result.card.metrics["test"]["listings"]
    assert splits["seller"]["trained_on_listings"] > 0  # the old split's test holds listings this model trained on
    assert "seller hash (old; shares phrases)" in render_split_comparison(splits)
