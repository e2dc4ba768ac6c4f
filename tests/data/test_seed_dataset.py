"""The seed dataset, generated from the pools: valid against the contract, varied, balanced, and reproducible."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from model.labels import default_labels
from training.dataset import SEED_LISTINGS, Example, load_examples, split_by_seller

SEED_DIR = Path(__file__).resolve().parents[2] / "data" / "seed"
SEED_FILE = SEED_LISTINGS


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return load_examples(SEED_FILE, labels=default_labels())


def test_size_labels_and_clean_share(examples: list[Example]) -> None:
    assert len(examples) >= 1500
    labels = Counter(label for e in examples for label in e.listing.labels)
    assert all(labels[label] >= 200 for label in default_labels()), labels
    clean = sum(1 for e in examples if not e.listing.labels)
    assert 0.35 <= clean / len(examples) <= 0.65
    assert sum(1 for e in examples if e.extras.get("hard_negative")) >= 300
    assert len({e.listing.id for e in examples}) == len(examples)


def test_styles_and_platforms_are_shared_by_clean_and_risky(examples: list[Example]) -> None:
    for key in ("style",):
        clean = Counter(e.extras[key] for e in examples if not e.listing.labels)
        risky = Counter(e.extras[key] for e in examples if e.listing.labels)
        assert set(clean) == set(risky) == {"marketplace", "social", "no_diacritics", "obfuscated"}
    platforms = {e.listing.platform for e in examples}
    assert {"shopee", "lazada", "tiki", "tiktok", "facebook", "zalo"} <= platforms


def test_titles_are_not_a_handful_of_templates(examples: list[Example]) -> None:
    # price pairs repeat their words on purpose (genuine, fake and sale listings differ only in price)
    titles = [e.listing.title for e in examples if "pair_role" not in e.extras]
    assert len(set(titles)) / len(titles) > 0.85
    starts = Counter(" ".join(t.lower().split()[:2]) for t in titles)
    assert starts.most_common(1)[0][1] / len(titles) < 0.05


def test_seller_split_has_every_label_on_each_side(examples: list[Example]) -> None:
    split = split_by_seller(examples, valid_share=0.15, test_share=0.15, seed=13)
    for part in (split.train, split.valid, split.test):
        labels = Counter(label for e in part for label in e.listing.labels)
        assert all(labels[label] >= 20 for label in default_labels()), labels


def test_generator_reproduces_the_file_on_disk() -> None:
    spec = importlib.util.spec_from_file_location("seed_generate", SEED_DIR / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    listings = module.generate(module.SEED)
    on_disk = [json.loads(line) for line in SEED_FILE.read_text(encoding="utf-8").splitlines()]
    assert listings == on_disk
