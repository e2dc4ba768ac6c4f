"""The model card is typed: training writes a ``ModelCard``, every reader gets attributes, and a card of another
version, or one with unknown or missing fields, is refused with a message that says what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from model.artifact import CARD_FILE, CARD_VERSION, ModelCard, load_card
from model.errors import ArtifactError
from model.predictor import Predictor


def _card_copy(trained: Any, tmp_path: Path, edit: Any) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(trained.model_dir / CARD_FILE, folder / CARD_FILE)
    raw = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
    edit(raw)
    (folder / CARD_FILE).write_text(json.dumps(raw), encoding="utf-8")
    return folder


def test_the_card_on_disk_is_the_card_training_returned(trained: Any) -> None:
    card = load_card(trained.model_dir)
    assert isinstance(card, ModelCard) and card == trained.card
    raw = json.loads((trained.model_dir / CARD_FILE).read_text(encoding="utf-8"))
    assert list(raw)[:3] == ["format", "card_version", "version"] and raw["card_version"] == CARD_VERSION
    assert "transformer" not in raw  # no transformer was trained
    predictor = Predictor.load(trained.model_dir)
    assert predictor.card.scorers[predictor.served].thresholds == predictor.thresholds
    cutoffs = card.priority_cutoffs
    assert (predictor.cutoffs.high, predictor.cutoffs.medium) == (cutoffs.high, cutoffs.medium)


@pytest.mark.parametrize("found", [None, 0, CARD_VERSION + 1])
def test_a_card_of_another_version_is_refused(trained: Any, tmp_path: Path, found: int | None) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw.pop("card_version")
        if found is not None:
            raw["card_version"] = found

    expected = rf"expected model card version {CARD_VERSION}, found {found!r}.*make train"
    with pytest.raises(ArtifactError, match=expected):
        load_card(_card_copy(trained, tmp_path, edit))


def test_a_card_with_unknown_or_missing_fields_is_refused(trained: Any, tmp_path: Path) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["data"]["mystery"] = 1
        del raw["priority_cutoffs"]

    with pytest.raises(ArtifactError, match=r"not a valid model card: priority_cutoffs: Field required; data.mystery"):
        load_card(_card_copy(trained, tmp_path, edit))
