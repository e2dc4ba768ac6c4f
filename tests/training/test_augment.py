"""Counterfeit edits of lawful real titles: labels follow the edit, the set is deterministic, training only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.schema import Listing
from training.augment import (
    NEW_PHRASE,
    REPLICA_PHRASES,
    build_real_edits,
    edit_listing,
    named_brand,
    plan_edits,
)
from training.config import load_config
from training.dataset import example_weights
from training.train import train

from ..conftest import make_tiny_config

BRANDED = [
    "Giày Converse Chuck Taylor All Star Classic",
    "Dép Crocs Classic Clog unisex",
    "Giày Vans Old Skool đen trắng",
    "Túi xách Louis Vuitton Neverfull MM",
    "Giày Nike Air Force 1 trắng",
    "Áo khoác Adidas Essentials nam",
]
UNBRANDED = [
    "Áo thun nam cotton cổ tròn basic",
    "Quần jean nữ ống rộng lưng cao",
    "Ví da nam nhỏ gọn nhiều ngăn",
    "Balo nữ thời trang đi học",
]


def _real_rows(n: int = 40) -> list[dict]:
    titles = BRANDED + UNBRANDED
    return [
        {"id": f"tiki_fashion-{i:03d}", "platform": "tiki", "title": f"{titles[i % len(titles)]} mẫu {i}",
         "price": 100000 + 10000 * i, "seller": {"name": "Shop Thời Trang"}}
        for i in range(n)
    ]  # fmt: skip


def _write_shared(root: Path) -> Path:
    folder = root / "data" / "real-listings"
    folder.mkdir(parents=True)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in _real_rows())
    (folder / "tiki_fashion.jsonl").write_text(text, encoding="utf-8")
    return root


def test_a_brand_counts_only_as_written_and_not_for_accessories() -> None:
    assert named_brand("Giày Converse Chuck Taylor All Star") == "Converse"
    assert named_brand("Áo thun nam mặc nhà thoáng mát") is None  # "mặc" folds to "mac", which is not MAC
    assert named_brand("Túi đeo chéo có ngăn đựng iPad") is None  # an electronics brand in a fashion title
    assert named_brand("Dây đeo thay thế cho đồng hồ Rolex") is None  # an accessory for the brand
    assert named_brand("Áo thun cotton trơn") is None


def test_each_edit_is_labelled_as_what_it_became() -> None:
    branded = Listing(id="r-1", title="Giày Nike Air Force 1 trắng", price=2_500_000, description="Hàng chính hãng")
    plain = Listing(id="r-2", title="Áo thun nam cotton cổ tròn", price=150_000)
    cut = edit_listing(branded, "price_cut", brand="Nike", seed=1)
    assert cut is not None and cut.labels == ["counterfeit"] and NEW_PHRASE in cut.title
    assert 0.1 * 2_500_000 - 1000 <= cut.price <= 0.3 * 2_500_000 + 1000  # type: ignore[operator]
    cheap = edit_listing(plain, "price_cut", brand=None, seed=1)
    assert cheap is not None and cheap.labels == [] and cheap.price < 150_000  # type: ignore[operator]
    replica = edit_listing(branded, "replica", brand="Nike", seed=1)
    assert replica is not None and replica.labels == ["counterfeit"]
    assert any(phrase in replica.title for phrase in REPLICA_PHRASES) and replica.price == branded.price
    evasive = edit_listing(branded, "evasive_brand", brand="Nike", seed=1)
    assert evasive is not None and evasive.labels == ["counterfeit"] and "Nike" not in evasive.title
    assert evasive.title != branded.title and evasive.title.endswith("Air Force 1 trắng")
    social = edit_listing(branded, "social", brand="Nike", seed=1)
    assert social is not None and social.labels == [] and social.title.isascii()
    assert "zalo" in social.title or any(ch.isdigit() for ch in social.title.split()[-1])
    assert social.platform in ("facebook", "zalo", "tiktok")
    original = edit_listing(branded, "original", brand="Nike", seed=1)
    assert original is not None and original.labels == [] and original.title == branded.title
    assert edit_listing(plain, "replica", brand=None, seed=1) is None  # a replica of no brand is not made
    # every edit of one real listing shares its group, so calibration folds keep them together
    assert {e.seller.id for e in (cut, replica, evasive, social, original)} == {"real-edit:r-1"}  # type: ignore[union-attr]


def test_plan_is_deterministic_and_half_counterfeit() -> None:
    listings = [Listing(**row) for row in _real_rows()]
    first = plan_edits(listings, count=30, seed=13)
    again = plan_edits(listings, count=30, seed=13)
    assert [(k, e.model_dump()) for k, e in first] == [(k, e.model_dump()) for k, e in again]
    assert len(first) <= 30
    counterfeit = [e for _k, e in first if e.labels]
    assert len(counterfeit) == 12 and sum(k == "original" for k, _e in first) == 12
    assert {k for k, e in first if e.labels} <= {"price_cut", "replica", "evasive_brand", "social_replica"}
    titles = {listing.id: listing.title for listing in listings}
    assert all(named_brand(titles[e.id.split("-", 2)[2]]) for e in counterfeit)  # type: ignore[union-attr]
    other = plan_edits(listings, count=30, seed=14)
    assert [e.id for _k, e in other] != [e.id for _k, e in first]


def test_edits_need_shared_and_carry_their_weight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(real_edit_files=("tiki_fashion.jsonl",), real_edit_count=20, real_edit_weight=0.6)
    monkeypatch.setenv("SOI_SHARED_DIR", str(tmp_path / "nowhere"))
    examples, paths, record = build_real_edits(config)
    assert examples == [] and paths == [] and "absent" in record["note"]
    monkeypatch.setenv("SOI_SHARED_DIR", str(_write_shared(tmp_path / "shared")))
    examples, paths, record = build_real_edits(config)
    assert [p.name for p in paths] == ["tiki_fashion.jsonl"] and record["listings"] == len(examples) > 0
    assert set(example_weights(examples)) == {0.6}
    assert sum(c["counterfeit"] for c in record["by_edit"].values()) == 8


def test_edits_join_training_only(tiny_data_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOI_SHARED_DIR", str(_write_shared(tmp_path / "shared")))
    plain = make_tiny_config(tiny_data_path, tmp_path / "plain")
    edited = make_tiny_config(
        tiny_data_path, tmp_path / "edited", real_edit_files=("tiki_fashion.jsonl",), real_edit_count=20
    )
    card, plain_card = train(edited, promote=False).card, train(plain, promote=False).card
    assert card.data.real_edits["listings"] > 0 and plain_card.data.real_edits["listings"] == 0
    for part in ("valid", "test"):
        assert card.data.counts[part] == plain_card.data.counts[part]
        assert card.metrics[part]["listings"] == plain_card.metrics[part]["listings"]
