"""Real presumed-clean listings from ../shared join training when present, and never the benchmark files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from model.artifact import CARD_MARKDOWN_FILE
from model.errors import DataError
from training.config import TrainConfig
from training.dataset import load_false_alarm_listings, load_real_negatives
from training.errors import ConfigError
from training.train import train

from ..conftest import make_tiny_config


def _write_shared(root: Path) -> Path:
    folder = root / "data" / "real-listings"
    folder.mkdir(parents=True)
    rows = [
        {"id": f"real-{i}", "platform": "tiki", "title": f"Áo sơ mi nam công sở mẫu {i}", "price": 199000}
        for i in range(30)
    ]
    (folder / "tiki_fashion.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    (folder / "tiki_12cat.jsonl").write_text(json.dumps({"title": "Đầm maxi"}) + "\n", encoding="utf-8")
    return root


def shared_note_in_markdown(model_dir: Path) -> str:
    lines = (model_dir / CARD_MARKDOWN_FILE).read_text(encoding="utf-8").splitlines()
    return next(line for line in lines if line.startswith("- ../shared: ")).removeprefix("- ../shared: ")


def test_real_negatives_are_loaded_sampled_and_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOI_SHARED_DIR", str(_write_shared(tmp_path / "shared")))
    examples, paths, note = load_real_negatives(["tiki_fashion.jsonl"], max_listings=10, seed=1)
    assert len(examples) == 10 and [p.name for p in paths] == ["tiki_fashion.jsonl"]
    assert all(e.listing.labels == [] and e.extras["source"] == "real_negative" for e in examples)
    assert "10 real presumed-clean listings" in note
    with pytest.raises(DataError, match="false-alarm benchmark"):
        load_real_negatives(["tiki_12cat.jsonl"], max_listings=10, seed=1)
    listings, note = load_false_alarm_listings()
    assert listings == [] and "not found" in note  # shopee_beauty.jsonl is missing from this fake shared folder


def test_without_shared_training_says_so_and_still_works(
    tiny_data_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SOI_SHARED_DIR", str(tmp_path / "nowhere"))
    examples, paths, note = load_real_negatives(["tiki_fashion.jsonl"], max_listings=10, seed=1)
    assert examples == [] and paths == [] and "not present" in note
    config = make_tiny_config(tiny_data_path, tmp_path / "models", real_negative_files=("tiki_fashion.jsonl",))
    with caplog.at_level(logging.WARNING, logger="training.train"):
        result = train(config)
    card = result.card
    assert shared_note_in_markdown(result.model_dir) == card.data.shared.note
    assert card.data.real_negatives["listings"] == 0
    shared = card.data.shared
    assert shared.dir is None and shared.joins_training is False
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING and r.getMessage().startswith("SHARED DATA:")]
    assert len(loud) == 1 and "does NOT join training" in loud[0].getMessage()
    assert loud[0].getMessage() == shared.note


def test_training_with_real_negatives_records_them(
    tiny_data_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOI_SHARED_DIR", str(_write_shared(tmp_path / "shared")))
    config = make_tiny_config(
        tiny_data_path, tmp_path / "models", real_negative_files=("tiki_fashion.jsonl",), real_negative_max=20
    )
    card = train(config).card
    assert card.data.real_negatives["listings"] == 20
    assert card.data.shared.joins_training is True
    assert card.data.shared.dir == str(tmp_path / "shared")
    assert "JOINS training" in card.data.shared.note and "20 real presumed-clean" in card.data.shared.note
    assert card.data.real_negatives["files"] == ["tiki_fashion.jsonl"]
    assert card.data.counts["train"]["total"] < 200  # real negatives are training-only, not counted as seed


def test_config_refuses_the_benchmark_files() -> None:
    with pytest.raises(ConfigError, match="false-alarm benchmark"):
        TrainConfig(real_negative_files=("shopee_beauty.jsonl",))
