"""Model artifacts on disk: file names, the model card, version ids and the ``current`` pointer.

An artifact folder holds only safe formats (JSON, safetensors, skops) and a model card beside the
weights. ``models/current`` is a symlink to the served version, replaced atomically on promotion.
The model card is a typed object (``ModelCard``) with its own ``card_version``: training writes it, the
``Predictor``, reports and serving read its attributes, and a card of another version is refused on load.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from model.errors import ArtifactError

CARD_FILE = "model_card.json"
CARD_MARKDOWN_FILE = "MODEL_CARD.md"
LINEAR_CONFIG_FILE = "linear.json"
LINEAR_WEIGHTS_FILE = "linear.safetensors"
LINEAR_VECTORIZERS_FILE = "vectorizers.skops"
# The transformer lives in a sub-folder: its backbone config and tokenizer files, the fine-tuned weights
# (safetensors, for training and the benchmark's PyTorch peer) and the ONNX exports that serving runs.
TRANSFORMER_DIR = "transformer"
TRANSFORMER_CONFIG_FILE = "transformer.json"
TRANSFORMER_WEIGHTS_FILE = "model.safetensors"
TRANSFORMER_ONNX_FILE = "model.onnx"
TRANSFORMER_ONNX_INT8_FILE = "model.int8.onnx"
ENSEMBLE_FILE = "ensemble.json"
# What a model card's ``scorer`` may name: the scorer whose probabilities are served.
SCORER_KINDS = ("linear", "transformer", "ensemble")
CURRENT_LINK = "current"
ARTIFACT_FORMAT = 1
# The model card's own version: bumped when its fields change, so a card is read by the code that wrote it.
CARD_VERSION = 2  # 2: data.shared (whether ../shared joined training)
ScorerKind = Literal["linear", "transformer", "ensemble"]


class _CardPart(BaseModel):
    """A part of a model card: every field named here, nothing unknown, read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CutoffsRecord(_CardPart):
    """The risk cut-offs of the review priorities: at or above ``high`` is high, at or above ``medium`` medium."""

    high: float
    medium: float


class ScorerRecord(_CardPart):
    """One trained scorer: its per-label thresholds and its metrics per evaluation part (valid, holdout, test)."""

    thresholds: dict[str, float]
    metrics: dict[str, dict[str, Any]]


class SharedDataRecord(_CardPart):
    """Whether ../shared joined training: the folder found (None: absent), the answer, and the SHARED DATA line."""

    dir: str | None
    joins_training: bool
    note: str


class DataRecord(_CardPart):
    """What the model was trained on: the data file and its hash, the split, the extra data and the counts."""

    path: str
    sha256: str
    split: str  # how the data was split, in words
    split_mode: str  # "seller", "pool" ...: the split rule (training.split)
    shared: SharedDataRecord  # whether ../shared joined training (the SHARED DATA line)
    real_negatives: dict[str, Any]  # files, listings, weight, note
    real_edits: dict[str, Any]  # files, listings, weight, by_edit, note
    catalogue: dict[str, Any]  # the price catalogue's products and hash
    counts: dict[str, dict[str, Any]]  # listings per label, per part


class ModelCard(_CardPart):
    """The model card of an artifact folder (``model_card.json``): what was trained, on what, and how well.

    ``scorer`` names the scorer whose probabilities are served; ``thresholds`` and ``metrics`` are its own,
    ``scorers`` holds those of every trained scorer. ``config`` is the training config as plain data.
    """

    format: Literal[1]  # ARTIFACT_FORMAT: the layout of the artifact folder
    card_version: Literal[2]  # CARD_VERSION: the fields of this card
    version: str  # the model's version id (``new_version_id``)
    scorer: ScorerKind
    created_at: str
    labels: list[str]
    thresholds: dict[str, float]
    priority_cutoffs: CutoffsRecord
    config: dict[str, Any]
    data: DataRecord
    metrics: dict[str, dict[str, Any]]
    scorers: dict[ScorerKind, ScorerRecord]
    selection: dict[str, Any]  # how the served scorer was chosen (training.selection.selection_record)
    training_seconds: float
    transformer: dict[str, Any] | None = None  # the transformer's training record, when one was trained


def hash_files(paths: Iterable[Path]) -> str:
    """SHA-256 over the bytes of the given files, in order: the data hash in a model card."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def new_version_id(kind: str, data_hash: str, *, now: datetime | None = None) -> str:
    """A sortable, unique-enough version id such as ``linear-20261123T134501-3fa2c1d9``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{kind}-{stamp}-{data_hash[:8]}"


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON readably (UTF-8, Vietnamese kept as is)."""
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def read_json(path: Path) -> dict[str, Any]:
    """Read a JSON file of an artifact, raising ``ArtifactError`` if it is missing or broken."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"expected {path.name} in {path.parent}, found no such file") from exc
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from exc


def write_card(model_dir: Path, card: ModelCard) -> None:
    """Write the model card of an artifact folder (no ``transformer`` key when none was trained)."""
    write_json(
        model_dir / CARD_FILE,
        card.model_dump(mode="json", exclude={"transformer"} if card.transformer is None else set()),
    )


def load_card(model_dir: Path) -> ModelCard:
    """The model card of an artifact folder; ``ArtifactError`` for another format or card version, or a bad card."""
    raw = read_json(model_dir / CARD_FILE)
    if raw.get("format") != ARTIFACT_FORMAT:
        raise ArtifactError(f"{model_dir}: expected artifact format {ARTIFACT_FORMAT}, found {raw.get('format')}")
    if raw.get("card_version") != CARD_VERSION:
        raise ArtifactError(
            f"{model_dir}: expected model card version {CARD_VERSION}, found {raw.get('card_version')!r} "
            "(a card written by another version of Soi): retrain with `make train`"
        )
    try:
        return ModelCard.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise ArtifactError(
            f"{model_dir / CARD_FILE} is not a valid model card: {problems} "
            "(written by another version of Soi?): retrain with `make train`"
        ) from exc


def resolve_model_dir(path: Path) -> Path:
    """An artifact folder from either itself or a models folder holding a ``current`` link."""
    path = Path(path)
    if (path / CARD_FILE).is_file():
        return path
    current = path / CURRENT_LINK
    if (current / CARD_FILE).is_file():
        return current.resolve()
    raise ArtifactError(
        f"no trained model at {path}: expected {CARD_FILE} there or a '{CURRENT_LINK}' link to a model folder; "
        "train one with `make train`"
    )


def point_current(models_dir: Path, model_dir: Path) -> None:
    """Atomically repoint ``models_dir/current`` at ``model_dir`` (a sibling folder)."""
    link = models_dir / CURRENT_LINK
    tmp = models_dir / f".{CURRENT_LINK}.tmp-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(model_dir.name, tmp)
    os.replace(tmp, link)
