"""The split: the data's phrase-pool ``split`` field when present, the seller hash otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.errors import DataError
from training.config import load_config
from training.dataset import load_examples
from training.errors import ConfigError
from training.split import count_pool_leaks, split_examples

LABELS = ("counterfeit", "smuggled", "prohibited")


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def _rows(with_split: bool) -> list[dict]:
    rows = []
    for i in range(30):
        entry = f"pool-{i % 10}"  # 10 pool entries, 3 listings each, from 3 different sellers
        row = {
            "id": f"l-{i}",
            "title": f"Túi xách mẫu {entry} số {i}",
            "seller": {"id": f"s-{i % 3}"},
            "labels": ["counterfeit"] if i % 2 else [],
            "pool_entry": entry,
        }
        if with_split:
            row["split"] = "test" if i % 10 < 2 else "valid" if i % 10 < 4 else "train"
        rows.append(row)
    return rows


def test_pool_field_is_used_when_present_and_keeps_pool_entries_apart(tmp_path: Path) -> None:
    examples = load_examples(_write(tmp_path / "a.jsonl", _rows(True)), labels=LABELS)
    split = split_examples(examples, mode="auto", valid_share=0.2, test_share=0.2, seed=13)
    assert split.mode == "pool" and "phrase pool" in split.description
    assert {e.extras["split"] for e in split.test} == {"test"} and len(split.test) == 6
    assert {e.extras["split"] for e in split.valid} == {"valid"} and len(split.valid) == 6
    assert len(split.train) == 18
    assert count_pool_leaks(split.train, split.test) == 0
    # the same data split by seller puts listings of one pool entry on both sides: that split shares phrases
    seller = split_examples(examples, mode="seller", valid_share=0.2, test_share=0.2, seed=13)
    assert seller.mode == "seller" and "seller" in seller.description
    assert {e.group for e in seller.train}.isdisjoint({e.group for e in seller.test})


def test_without_the_field_auto_falls_back_to_the_seller_split(tmp_path: Path) -> None:
    examples = load_examples(_write(tmp_path / "b.jsonl", _rows(False)), labels=LABELS)
    split = split_examples(examples, mode="auto", valid_share=0.2, test_share=0.2, seed=13)
    assert split.mode == "seller"
    with pytest.raises(DataError, match="split = 'pool' needs"):
        split_examples(examples, mode="pool", valid_share=0.2, test_share=0.2, seed=13)


def test_listings_without_the_field_go_by_seller_and_bad_values_are_refused(tmp_path: Path) -> None:
    rows = _rows(True)
    for row in rows[:5]:
        del row["split"]  # e.g. reviewed listings merged into the seed data by a retrain
    examples = load_examples(_write(tmp_path / "c.jsonl", rows), labels=LABELS)
    split = split_examples(examples, mode="pool", valid_share=0.2, test_share=0.2, seed=13)
    assert "5 listings without the field placed by seller hash" in split.description
    assert len(split.train) + len(split.valid) + len(split.test) == 30
    rows[7]["split"] = "holdout"
    examples = load_examples(_write(tmp_path / "d.jsonl", rows), labels=LABELS)
    with pytest.raises(DataError, match=r"l-7.*split must be one of"):
        split_examples(examples, mode="pool", valid_share=0.2, test_share=0.2, seed=13)


def test_a_test_listing_sharing_a_pool_entry_with_training_is_counted_as_a_leak(tmp_path: Path) -> None:
    rows = _rows(True)
    rows[0]["split"] = "train"  # pool-0 now has listings in train (l-0) and in test (l-10, l-20)
    examples = load_examples(_write(tmp_path / "e.jsonl", rows), labels=LABELS)
    split = split_examples(examples, mode="pool", valid_share=0.2, test_share=0.2, seed=13)
    assert count_pool_leaks(split.train, split.test) == 2
    assert "2 test listings share a pool entry with training" in split.description


def test_config_split_mode_and_measurement_sets_are_validated() -> None:
    assert load_config().split == "auto"
    with pytest.raises(ConfigError, match="split: expected"):
        load_config(split="random")
    with pytest.raises(ConfigError, match="never select a model"):
        load_config(selection_holdout_files=("data/blind_counterfeit/listings.jsonl",))
    with pytest.raises(ConfigError, match="false-alarm benchmark"):
        load_config(real_edit_files=("tiki_12cat.jsonl",))


def test_a_review_of_a_seed_listing_keeps_its_split(tmp_path: Path) -> None:
    from model.listing_key import listing_key
    from training.retrain_data import merge_reviews

    seed = load_examples(_write(tmp_path / "f.jsonl", _rows(True)), labels=LABELS)
    review_row = {"id": "l-0", "title": "Túi xách mẫu pool-0 số 0", "labels": ["counterfeit"], "reviewer": "r1"}
    review = load_examples(_write(tmp_path / "g.jsonl", [review_row]), labels=LABELS)
    merged, _frozen = merge_reviews(seed, {listing_key(review[0].listing): review[0]}, frozen_share=0.0, seed_value=1)
    [reviewed] = [e for e in merged if e.listing.id == "l-0"]
    assert reviewed.listing.labels == ["counterfeit"] and reviewed.extras["reviewer"] == "r1"
    assert reviewed.extras["split"] == "test" and reviewed.extras["pool_entry"] == "pool-0"
