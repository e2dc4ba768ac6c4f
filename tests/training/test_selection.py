"""Model selection on validation + blind holdout: the score, the rule, and what training records."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.schema import Listing
from tests.conftest import TINY_ITEMS
from training.selection import load_selection_data, select, selection_score
from training.train import train

from ..conftest import make_tiny_config


def test_selection_score_averages_the_parts() -> None:
    target = np.array([[1], [0], [1], [0], [1], [0]])
    perfect = np.array([[0.9], [0.1], [0.8], [0.2], [0.7], [0.3]])
    # rows 0-3 are validation (perfect), rows 4-5 the holdout where the scorer ranks the wrong way round
    flipped = perfect.copy()
    flipped[4], flipped[5] = 0.1, 0.9
    parts = {"valid": np.arange(4), "holdout": np.arange(4, 6)}
    assert selection_score(target, perfect, parts) == {"valid": 1.0, "holdout": 1.0, "mean": 1.0}
    scores = selection_score(target, flipped, parts)
    assert scores["valid"] == 1.0 and scores["holdout"] == 0.5 and scores["mean"] == 0.75


def test_the_ensemble_is_served_when_it_generalises_better_even_if_validation_ties() -> None:
    scores = {
        "linear": {"valid": 0.99, "holdout": 0.90, "mean": 0.945},
        "transformer": {"valid": 0.90, "holdout": 0.88, "mean": 0.89},
        "ensemble": {"valid": 0.99, "holdout": 0.93, "mean": 0.96},
    }
    assert select(scores, min_gain=0.0) == "ensemble"
    assert select(scores, min_gain=0.02) == "linear"  # a minimum gain keeps the cheaper scorer
    tie = {kind: {"mean": 0.95} for kind in ("linear", "transformer", "ensemble")}
    assert select(tie, min_gain=0.0) == "linear"  # ties go to the cheapest
    assert select({"linear": {"mean": 0.5}}, min_gain=0.0) == "linear"


def _write_holdout(path: Path) -> Path:
    rows = [{"id": f"h-{i}", "title": title, "labels": labels} for i, (title, labels) in enumerate(TINY_ITEMS)]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_selection_data_is_validation_then_holdout(tmp_path: Path, tiny_data_path: Path) -> None:
    holdout = _write_holdout(tmp_path / "holdout.jsonl")
    config = make_tiny_config(
        tiny_data_path, tmp_path / "m", selection_holdout_files=(str(holdout), str(tmp_path / "missing.jsonl"))
    )
    valid = [Listing(title="Áo thun", labels=[]), Listing(title="Rolex fake", labels=["counterfeit"])]
    data = load_selection_data(config, valid)
    assert data.valid_rows == 2 and list(data.parts) == ["valid", "holdout"]
    assert len(data.parts["holdout"]) == len(TINY_ITEMS) and data.target.shape == (2 + len(TINY_ITEMS), 3)
    assert any("not found" in note for note in data.notes)


def test_training_selects_on_validation_and_holdout(tmp_path: Path, tiny_data_path: Path) -> None:
    holdout = _write_holdout(tmp_path / "holdout.jsonl")
    config = make_tiny_config(tiny_data_path, tmp_path / "models", selection_holdout_files=(str(holdout),))
    card = train(config, promote=False).card
    selection = card.selection
    assert selection["parts"] == {"valid": card.data.counts["valid"]["total"], "holdout": len(TINY_ITEMS)}
    assert set(selection["scores"]["linear"]) == {"valid", "holdout", "mean"}
    assert selection["scores"]["linear"]["mean"] == pytest.approx(
        (selection["scores"]["linear"]["valid"] + selection["scores"]["linear"]["holdout"]) / 2
    )
    assert set(card.metrics) == {"valid", "holdout", "test"}
    assert card.data.split_mode == "seller"  # the tiny data carries no split field
    assert "holdout" in selection["rule"]
