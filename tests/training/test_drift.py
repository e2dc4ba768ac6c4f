"""Drift: population stability of recent listings and scores against the model's reference data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.predictor import Predictor
from tests.conftest import make_tiny_config
from training.drift import measure_drift, population_stability_index
from training.split import load_split
from training.train import TrainResult


def test_psi_is_zero_for_the_same_distribution_and_grows_with_shift() -> None:
    same = population_stability_index(np.array([10, 20, 30]), np.array([1, 2, 3]))
    small = population_stability_index(np.array([10, 20, 30]), np.array([12, 20, 28]))
    large = population_stability_index(np.array([10, 20, 30]), np.array([30, 20, 0]))
    assert same == 0.0 and 0 < small < 0.1 < large


def test_same_data_is_stable_and_shifted_data_advises_retraining(trained: TrainResult) -> None:
    predictor = Predictor.load(trained.model_dir)
    config = make_tiny_config(Path(trained.card.config["data_path"]), trained.model_dir)
    split = load_split(config)
    reference = [e.listing for e in split.valid + split.test]
    stable = measure_drift(predictor, reference, reference)
    assert not stable["verdict"]["retrain_advised"] and "No retraining needed" in stable["verdict"]["text"]
    assert all(entry["psi"] < 0.01 for entry in {**stable["scores"], **stable["features"]}.values())
    # recent traffic of a new kind: only risky goods, at prices a hundred times higher, from unknown sellers
    risky = [e.listing for e in split.train if e.listing.labels]
    shifted = [
        listing.model_copy(update={"price": (listing.price or 10_000) * 100, "seller": None}) for listing in risky
    ]
    report = measure_drift(predictor, reference, shifted)
    assert report["verdict"]["retrain_advised"] and report["verdict"]["text"].startswith("Retraining is advised")
    assert report["features"]["log_price_vnd"]["status"] == "significant"
