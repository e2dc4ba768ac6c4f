"""The whole loop: the crawler scores, reviewers correct labels through the API, retraining promotes or refuses.

Crosses serving and training, as operators do: the export the API serves is what ``make retrain`` consumes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from model.artifact import resolve_model_dir
from model.text_vectorizers import TextFeatureConfig
from tests.conftest import make_tiny_config, write_noisy_copy, write_tiny_dataset
from tests.serving.conftest import Service, start_service
from training.dataset import load_examples
from training.promote import retrain
from training.train import train

LABELS = ("counterfeit", "smuggled", "prohibited")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Path, list, Path]]:
    """A champion trained on data that lost most counterfeit labels, served on SQLite, and the true labels."""
    root = tmp_path_factory.mktemp("loop")
    truth = load_examples(write_tiny_dataset(root / "truth.jsonl"), labels=LABELS)
    noisy = write_noisy_copy(truth, root / "noisy.jsonl")
    models_dir = root / "models"
    champion = train(make_tiny_config(noisy, models_dir))
    yield from (
        (service, noisy, truth, models_dir)
        for service in start_service(champion, f"sqlite:///{root / 'soi.db'}", "sqlite", auth_cache_s=0)
    )


def _score_and_review(service: Service, examples: list) -> None:
    """The crawler scores the listings; a reviewer labels each stored listing with its true labels."""
    results = service.score_batches([e.listing.model_dump(mode="json", exclude={"labels"}) for e in examples])
    for example, result in zip(examples, results, strict=True):
        review = {"labels": example.listing.labels, "note": "kiểm tra lại nhãn"}
        answer = service.client.post(
            f"/v1/listings/{result['stored_listing_id']}/reviews",
            json=review,
            headers=service.keys.header("reviewer"),
        )
        assert answer.status_code == 201, answer.text


def _export(service: Service, path: Path) -> Path:
    exported = service.client.get("/v1/reviews/export", headers=service.keys.header("reviewer"))
    assert exported.status_code == 200
    path.write_text(exported.text, encoding="utf-8")
    return path


def test_corrections_through_the_api_promote_a_better_model_and_the_service_reloads_it(world, tmp_path: Path) -> None:
    service, noisy, truth, models_dir = world
    before = service.client.get("/v1/model", headers=service.keys.header("crawler")).json()["model_version"]
    _score_and_review(service, [e for e in truth if "counterfeit" in e.listing.labels])
    reviews = _export(service, tmp_path / "reviews.jsonl")
    assert len(reviews.read_text(encoding="utf-8").splitlines()) > 0
    record = retrain(make_tiny_config(noisy, models_dir), reviews, out_dir=tmp_path / "reports")
    assert record["decision"] == "promoted", record["reason"]
    reloaded = service.client.post("/v1/admin/reload", headers=service.keys.header("admin"))
    assert reloaded.status_code == 200
    assert reloaded.json()["model_version"] == record["challenger"] != before


def test_a_worse_challenger_is_refused_with_its_reason_and_nothing_changes(world, tmp_path: Path) -> None:
    service, noisy, truth, models_dir = world
    current = resolve_model_dir(models_dir).name
    _score_and_review(service, truth[:30])
    reviews = _export(service, tmp_path / "reviews.jsonl")
    blind = TextFeatureConfig(min_df=1, max_word_features=5, max_char_features=5, use_word_segments=False)
    record = retrain(make_tiny_config(noisy, models_dir, text=blind), reviews, out_dir=tmp_path / "reports")
    assert record["decision"] == "refused" and "worse on" in record["reason"]
    assert resolve_model_dir(models_dir).name == current
