"""Model artifacts on disk: file names, the model card, version ids and the ``current`` pointer.

An artifact folder holds only safe formats (JSON, safetensors, skops) and a model card beside the
weights. ``models/current`` is a symlink to the served version, replaced atomically on promotion.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
# What the loaders read from every model card (dotted: nested). A card without one of them was written by an older
# Soi: loading it fails with a clear error instead of guessing what the field would have said.
REQUIRED_CARD_FIELDS = ("version", "scorer", "scorers", "thresholds", "priority_cutoffs", "config", "data.split_mode")


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


def load_card(model_dir: Path) -> dict[str, Any]:
    """The model card of an artifact folder."""
    card = read_json(model_dir / CARD_FILE)
    if card.get("format") != ARTIFACT_FORMAT:
        raise ArtifactError(f"{model_dir}: expected artifact format {ARTIFACT_FORMAT}, found {card.get('format')}")
    missing = [name for name in REQUIRED_CARD_FIELDS if not _has_field(card, name)]
    missing += [
        f"scorers.{kind}.thresholds" for kind, part in card.get("scorers", {}).items() if "thresholds" not in part
    ]
    if missing:
        raise ArtifactError(
            f"{model_dir}: the model card has no {', '.join(missing)}: it was written by an older Soi; "
            "retrain with `make train`"
        )
    return card


def _has_field(card: dict[str, Any], dotted: str) -> bool:
    value: Any = card
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


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
