"""The fault benchmark as a test (slow: ``pytest -m slow``): PostgreSQL killed under load and restarted."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from training.train import TrainResult

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.mark.slow
def test_postgresql_outage_is_503_then_recovers_and_loses_no_review(trained: TrainResult, tmp_path: Path) -> None:
    sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location("bench_fault", SCRIPTS / "bench_fault.py")
    assert spec is not None and spec.loader is not None
    bench_fault = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_fault)
    if bench_fault.pg_cluster.find_bin_dir() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    out = tmp_path / "fault.json"
    argv = ["--model", str(trained.model_dir.parent), "--out", str(out), "--workers", "1", "--port", "55447"]
    code = bench_fault.main([*argv, "--before-s", "2", "--down-s", "3", "--after-s", "4", "--reviewers", "4"])
    report = json.loads(out.read_text())
    assert code == 0, report
    assert report["reviews_lost"] == 0 and report["server_errors_5xx_other_than_503"] == 0
    assert report["answers_by_phase"]["down"].get("503", 0) > 0
