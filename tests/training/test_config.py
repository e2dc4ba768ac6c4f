"""One source of defaults: the dataclasses; the TOML files list only what they change, and the cuts are constants."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, fields

import pytest

from model.limits import FEATURE_DESCRIPTION_CHARS, MODEL_DESCRIPTION_CHARS
from model.priority import DEFAULT_CUTOFFS, PriorityCutoffs
from model.text_vectorizers import TextFeatureConfig
from serving.settings import Settings
from training.config import CONFIG_DIR, DEFAULT_CONFIG, TrainConfig, TransformerTrainConfig, load_config


def test_make_train_config_is_the_dataclass_defaults() -> None:
    assert tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8")) == {}  # sets nothing, so cannot disagree
    assert load_config(DEFAULT_CONFIG) == TrainConfig()
    assert load_config() == TrainConfig()


def test_the_defaults_are_what_make_train_has_always_trained() -> None:
    config = TrainConfig()
    assert config.transformer.enabled and config.transformer.max_length_cap == 48
    assert config.transformer.freeze_layers == 3 and config.transformer.max_train_listings == 2000
    assert config.transformer.time_budget_s == 480 and not config.text.use_word_segments
    assert config.real_negative_files == ("tiki_fashion.jsonl", "shopee_menfashion.jsonl")
    assert config.selection_holdout_files == ("data/holdout/listings.jsonl",)


@pytest.mark.parametrize("name", ["fast", "vispam"])
def test_other_configs_list_only_what_they_change(name: str) -> None:
    raw = tomllib.loads((CONFIG_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    defaults = {
        "": asdict(TrainConfig()),
        "text": asdict(TextFeatureConfig()),
        "transformer": asdict(TransformerTrainConfig()),
    }
    for table, values in [("", {k: v for k, v in raw.items() if not isinstance(v, dict)}), *raw_tables(raw)]:
        for key, value in values.items():
            default = defaults[table][key]
            same = list(default) == value if isinstance(default, tuple) else default == value
            assert not same, f"{name}.toml [{table}] {key} = {value!r} repeats the default"
    load_config(CONFIG_DIR / f"{name}.toml")  # and it is valid


def raw_tables(raw: dict) -> list[tuple[str, dict]]:
    return [(key, value) for key, value in raw.items() if isinstance(value, dict)]


def test_priority_cutoffs_and_description_cuts_have_one_home() -> None:
    config = TrainConfig()
    assert (config.priority_high, config.priority_medium) == (DEFAULT_CUTOFFS.high, DEFAULT_CUTOFFS.medium)
    assert PriorityCutoffs() == DEFAULT_CUTOFFS
    assert TextFeatureConfig().max_description_chars == FEATURE_DESCRIPTION_CHARS
    assert Settings.model_fields["model_description_chars"].default == MODEL_DESCRIPTION_CHARS
    assert FEATURE_DESCRIPTION_CHARS < MODEL_DESCRIPTION_CHARS  # the features read within what the model is handed
    assert {f.name for f in fields(TrainConfig)} >= {"priority_high", "priority_medium"}
