"""The honest split of the seed data: no pool string of a test listing is in any train listing."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from training.dataset import SEED_LISTINGS

SEED_DIR = Path(__file__).resolve().parents[2] / "data" / "seed"
SEED_FILE = SEED_LISTINGS


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seed_generate_split", SEED_DIR / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(generator: ModuleType) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    usage: dict[str, list[str]] = {}
    listings = generator.generate(generator.SEED, usage)
    return listings, usage


@pytest.fixture(scope="module")
def committed() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SEED_FILE.read_text(encoding="utf-8").splitlines()]


def test_every_listing_has_a_side_and_its_pool_entry(committed: list[dict[str, Any]]) -> None:
    sides = Counter(x["split"] for x in committed)
    assert set(sides) == {"train", "valid", "test"}
    assert 0.62 <= sides["train"] / len(committed) <= 0.78, sides
    assert all(isinstance(x["pool_entry"], str) and x["pool_entry"] for x in committed)
    labels = {side: Counter(label for x in committed if x["split"] == side for label in x["labels"]) for side in sides}
    for side, counts in labels.items():
        assert all(counts[label] >= 40 for label in ("counterfeit", "smuggled", "prohibited")), (side, counts)


def test_no_pool_string_of_a_test_listing_is_in_a_train_listing(generated: tuple) -> None:
    listings, usage = generated
    by_side: dict[str, set[str]] = {"train": set(), "valid": set(), "test": set()}
    for listing in listings:
        assert listing["pool_entry"] in usage[listing["id"]]
        by_side[listing["split"]].update(usage[listing["id"]])
    assert by_side["test"] and by_side["valid"]
    assert not by_side["test"] & by_side["train"]
    assert not by_side["valid"] & by_side["train"]
    assert not by_side["test"] & by_side["valid"]


def test_test_pool_strings_are_absent_from_train_texts(generated: tuple) -> None:
    """Re-derived from the texts: a long test-side string never appears verbatim in a train listing's text."""
    listings, usage = generated
    train_text = "\n".join(f"{x['title']}\n{x['description'] or ''}" for x in listings if x["split"] == "train")
    test_strings = {s for x in listings if x["split"] == "test" for s in usage[x["id"]] if len(s) >= 25}
    leaked = sorted(s for s in test_strings if "{" not in s and s in train_text)
    assert not leaked, leaked[:5]


def test_every_pool_can_compose_on_every_side(generator: ModuleType) -> None:
    sys.path.insert(0, str(SEED_DIR))
    import seed_split

    pools = generator.load_pools()
    sides = seed_split.assign_sides(pools)
    shares = Counter(sides.values())
    assert 0.6 <= shares["train"] / sum(shares.values()) <= 0.8, shares
    for pool in pools:
        for kind in seed_split.pool_kinds(pool):
            assert {sides[seed_split.entry_text(e)] for e in pool[kind]} == {"train", "valid", "test"}, (
                pool["goods"],
                kind,
            )


def test_the_side_of_a_string_does_not_depend_on_the_other_pools() -> None:
    sys.path.insert(0, str(SEED_DIR))
    import seed_split

    strings = [f"chuỗi số {i}" for i in range(300)]
    sides = [seed_split.side_by_hash(s) for s in strings]
    assert sides == [seed_split.side_by_hash(s) for s in reversed(strings)][::-1]
    assert set(sides) == {"train", "valid", "test"}
