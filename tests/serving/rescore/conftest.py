"""Rescoring fixtures: a second model that disagrees with the first, and listings stored by the first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.predictor import Predictor
from tests.conftest import make_tiny_config
from training.train import TrainResult, train

# the second model never sees these as prohibited, so it ranks them far lower than the first model does
UNLEARNED = ("Pháo", "Dao bấm", "Sừng tê giác", "Làm bằng", "Phao", "Dao bam", "Sung te giac", "Lam bang")


@pytest.fixture(scope="session")
def second_model(tiny_data_path: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """A model trained on the tiny data with most prohibited listings relabelled clean: a different queue."""
    folder = tmp_path_factory.mktemp("second-model")
    rows = [json.loads(line) for line in tiny_data_path.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["title"].startswith(UNLEARNED):
            row["labels"] = [label for label in row["labels"] if label != "prohibited"]
    data = folder / "relabelled.jsonl"
    data.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return train(make_tiny_config(data, folder / "models"))


@pytest.fixture(scope="session")
def first_predictor(trained: TrainResult) -> Predictor:
    """The first model, which stores the listings."""
    return Predictor.load(trained.model_dir)


@pytest.fixture(scope="session")
def second_predictor(second_model: TrainResult) -> Predictor:
    """The second model, which rescores them."""
    return Predictor.load(second_model.model_dir)


@pytest.fixture(scope="session")
def listing_raws(tiny_data_path: Path) -> list[dict]:
    """One listing per tiny item as a crawler sends it (no labels), one with a long description."""
    rows = [json.loads(line) for line in tiny_data_path.read_text(encoding="utf-8").splitlines()][:25]
    raws = [{key: value for key, value in row.items() if key not in ("labels", "style")} for row in rows]
    raws[0]["description"] = "Hàng có sẵn. " * 600  # longer than the model reads: bounded like the API bounds it
    return raws
