"""Coverage of the price reference: shares by source, and the table `make eval` prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.market.catalogue import load_catalogue
from model.market.neighbours import fit_neighbour_table
from model.predictor import Predictor
from model.schema import Listing
from model.text_views import build_text_views
from training.coverage import Coverage, coverage_report, price_coverage, render_coverage_table
from training.train import TrainResult

SAMPLE = Path(__file__).parent.parent / "model" / "data" / "catalogue_sample"


def test_shares_by_source() -> None:
    table = fit_neighbour_table([("Gucci", f"Túi Gucci Marmont da bò size {n}", 45e6) for n in (20, 22, 24)])
    listings = [
        Listing(title="iPhone 15 Pro Max 256GB", price=3e6),  # catalogue
        Listing(title="Túi Gucci Marmont da bò", price=5e6),  # neighbours
        Listing(title="Áo thun trơn", price=99e3),  # nothing
        Listing(title="iPhone 15 Pro Max 256GB"),  # nothing: no price
    ]
    views = [build_text_views(x, max_description_chars=300, max_segmented_chars=0) for x in listings]
    coverage = price_coverage(listings, views, table, catalogue=load_catalogue(SAMPLE))
    assert coverage == Coverage(listings=4, catalogue=0.25, neighbours=0.25, brand_min=0.0, nothing=0.5, no_price=0.25)
    assert "| x | 4 | 25.0% | 25.0% | 0.0% | 50.0% (25.0%) |" in render_coverage_table({"x": coverage})


def test_report_covers_the_seed_test_and_present_sets(
    trained: TrainResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOI_SHARED_DIR", str(tmp_path / "no-shared"))
    holdout = tmp_path / "data" / "holdout" / "listings.jsonl"
    holdout.parent.mkdir(parents=True)
    holdout.write_text(json.dumps({"title": "Đồng hồ Rolex Submariner", "price": 1_500_000}) + "\n")
    predictor = Predictor.load(trained.model_dir)
    report = coverage_report(predictor, [Listing(title="Áo thun", price=1e5)], root=tmp_path)
    assert set(report) == {"seed test", "holdout"} and report["holdout"]["listings"] == 1
    assert "price reference coverage" in capsys.readouterr().out
