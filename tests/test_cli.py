"""The command lines: ``python -m training train|eval`` and ``python -m serving score``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.predictor import Predictor
from model.schema import Listing, bound_description
from serving.__main__ import main as serving_main
from serving.__main__ import score_file
from training.__main__ import main as training_main
from training.train import TrainResult


def _write_config(path: Path, data_path: Path, models_dir: Path) -> Path:
    path.write_text(
        f'data_path = "{data_path}"\nmodels_dir = "{models_dir}"\ncalibration_folds = 3\n'
        "valid_share = 0.2\ntest_share = 0.2\nreal_negative_files = []\nselection_holdout_files = []\n"
        "[text]\nmin_df = 1\n[transformer]\nenabled = false\n",
        encoding="utf-8",
    )
    return path


def test_train_then_eval_from_the_command_line(tiny_data_path: Path, tmp_path: Path, capsys) -> None:
    models_dir = tmp_path / "models"
    config = _write_config(tmp_path / "tiny.toml", tiny_data_path, models_dir)
    assert training_main(["train", "--config", str(config)]) == 0
    assert "macro average precision" in capsys.readouterr().out
    assert (models_dir / "current").is_symlink()
    report_path = tmp_path / "eval.json"
    assert training_main(["eval", "--model", str(models_dir), "--out", str(report_path)]) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert set(report["test"]["per_label"]) == {"counterfeit", "smuggled", "prohibited"}
    assert "false_alarm_note" in report
    assert report["price_coverage"]["seed test"]["listings"] == report["test"]["listings"]


def test_training_with_a_bad_config_exits_2(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = 1\nunknown_knob = 2\n", encoding="utf-8")
    assert training_main(["train", "--config", str(bad)]) == 2
    assert "unknown keys" in capsys.readouterr().err


def test_score_file_writes_one_score_per_line_in_order(trained: TrainResult, tmp_path: Path) -> None:
    listings = [
        {"id": f"l-{i}", "title": title}
        for i, title in enumerate(["Áo thun nam", "Bóng cười bình 8 lít", "Rolex fake 1:1", "Dao bếp Nhật"] * 130)
    ]
    in_path, out_path = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    in_path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in listings), encoding="utf-8")
    code = serving_main(["score", "--in", str(in_path), "--out", str(out_path), "--model", str(trained.model_dir)])
    assert code == 0
    scores = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    assert [s["listing_id"] for s in scores] == [x["id"] for x in listings]
    assert all(s["model_version"] == trained.version for s in scores)


def test_score_file_cuts_the_description_as_the_api_does(trained: TrainResult, tmp_path: Path) -> None:
    predictor = Predictor.load(trained.model_dir)
    listing = Listing(id="long", title="Áo thun nam", description="Rolex fake 1:1 " * 40)
    in_path, out_path = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    in_path.write_text(listing.model_dump_json() + "\n", encoding="utf-8")
    assert score_file(predictor, in_path, out_path, max_description_chars=20) == 1
    served = json.loads(out_path.read_text(encoding="utf-8"))
    expected = predictor.score([bound_description(listing, 20)])[0].model_dump(mode="json")
    assert served["probabilities"] == expected["probabilities"]
    assert served["probabilities"] != predictor.score([listing])[0].model_dump(mode="json")["probabilities"]


@pytest.mark.parametrize("bad_line", ['{"title": ""}', "not json", '["a list"]'])
def test_score_file_stops_on_a_bad_line_and_writes_nothing(
    trained: TrainResult,
    tmp_path: Path,
    capsys,
    bad_line: str,
) -> None:
    in_path, out_path = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    in_path.write_text('{"title": "Áo thun"}\n' + bad_line + "\n", encoding="utf-8")
    code = serving_main(["score", "--in", str(in_path), "--out", str(out_path), "--model", str(trained.model_dir)])
    assert code == 2
    assert "in.jsonl:2" in capsys.readouterr().err
    assert not out_path.exists() and not list(tmp_path.glob(".out.jsonl.tmp*"))


def test_bench_features_reports_milliseconds(trained: TrainResult, tmp_path: Path, capsys) -> None:
    out = tmp_path / "bench.json"
    code = training_main(["bench-features", "--model", str(trained.model_dir), "--n", "30", "--out", str(out)])
    assert code == 0
    seed = json.loads(out.read_text(encoding="utf-8"))["seed"]
    assert seed["listings"] == 30 and seed["total_ms"] >= seed["tfidf_and_matrix_ms"] > 0
    assert "ms/listing" in capsys.readouterr().out
