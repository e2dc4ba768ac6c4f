"""Price pairs and label definitions in the seed data."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import pytest

from model.labels import load_label_catalog
from training.dataset import SEED_LISTINGS

SEED_FILE = SEED_LISTINGS
PRICE_WORDS = re.compile(r"\d[\d.,]*\s?(?:tr\d*|k|vnđ|vnd|đ|d|₫)?")


@pytest.fixture(scope="module")
def listings() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SEED_FILE.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def groups(listings: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for listing in listings:
        if "pair_group" in listing:
            found[listing["pair_group"]][listing["pair_role"]] = listing
    return found


def test_pairs_cover_many_products_on_every_side(listings: list[dict[str, Any]], groups: dict) -> None:
    pairs = [x for x in listings if "pair_role" in x]
    assert len({x["pool_entry"] for x in pairs}) >= 40
    assert {x["split"] for x in pairs} == {"train", "valid", "test"}
    quantities = ("cây 10 gói", "thùng 24 lon", "combo 5 cuốn", "combo 3 hộp")
    assert all(any(q in x["pool_entry"].lower() for x in pairs) for q in quantities)
    assert all(set(group) >= {"genuine", "fake", "sale"} for group in groups.values())


def test_a_pair_differs_only_in_price_and_the_fake_is_cheap(groups: dict) -> None:
    for group in groups.values():
        genuine, fake, sale = group["genuine"], group["fake"], group["sale"]
        assert genuine["labels"] == sale["labels"] == [] and fake["labels"] == ["counterfeit"]
        assert len({x["pool_entry"] for x in group.values()}) == 1
        assert len({x["split"] for x in group.values()}) == 1
        assert len({x["seller"]["id"] for x in group.values()}) == len(group)
        texts = {PRICE_WORDS.sub("", f"{x['title']}\n{x['description'] or ''}") for x in (genuine, fake, sale)}
        assert len(texts) == 1, texts
        prices = {role: x["price"] for role, x in group.items() if x["price"]}
        if "genuine" in prices and "fake" in prices:
            assert prices["fake"] <= 0.36 * prices["genuine"]
        if "genuine" in prices and "sale" in prices:
            assert 0.6 * prices["genuine"] <= prices["sale"] <= prices["genuine"]
        if "used" in group:
            assert group["used"]["labels"] == []


def test_labels_follow_the_law(listings: list[dict[str, Any]]) -> None:
    by_goods: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for listing in listings:
        by_goods[listing["goods"]].add(tuple(sorted(listing["labels"])))
    assert by_goods["fake_documents"] == {("prohibited",)}  # BLHS Điều 341 / 207: papers, seals, money
    assert by_goods["electronics_smuggled"] == {("smuggled",)}  # genuine goods without papers
    assert by_goods["fake_liquor"] == {("counterfeit",)}
    for goods in ("pirated_books", "cracked_software", "pirated_media", "brand_evasion_fashion"):
        assert by_goods[goods] == {("counterfeit",)}, goods
    lawful = ("official_jersey_replica", "books_genuine_discount", "software_licensed", "media_licensed")
    for goods in (*lawful, "minis_samples_genuine", "outlet_clearance_genuine", "oem_auto_parts_genuine"):
        assert by_goods[goods] == {()}, goods
    fake_papers = [x for x in listings if "làm bằng" in x["title"].lower() or "khắc dấu" in x["title"].lower()]
    assert fake_papers and all("counterfeit" not in x["labels"] for x in fake_papers)


def test_label_descriptions_name_their_legal_basis() -> None:
    labels = load_label_catalog()
    assert "sở hữu trí tuệ" in labels["counterfeit"].vi and "98/2020/NĐ-CP" in labels["counterfeit"].vi
    assert "giấy tờ giả" in labels["prohibited"].vi and "tiền giả" in labels["prohibited"].vi
    assert "con dấu giả" in labels["prohibited"].vi
