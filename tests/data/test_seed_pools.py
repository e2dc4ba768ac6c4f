"""The seed's phrase pools as data: the rules of POOL_FORMAT.md, the loader's errors, and one stream per pool."""

from __future__ import annotations

import json
import shutil
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from model.labels import default_labels

SEED_DIR = Path(__file__).resolve().parents[2] / "data" / "seed"
sys.path.insert(0, str(SEED_DIR))
import generate  # noqa: E402
import seed_pools  # noqa: E402


@pytest.fixture(scope="module")
def pools() -> list[seed_pools.Pool | seed_pools.PairedPool]:
    return seed_pools.load_pool_models()


def test_no_string_is_in_two_pools_and_each_goods_is_one_pool(pools: list) -> None:
    homes: dict[str, set[str]] = defaultdict(set)
    for pool in pools:
        for texts in pool.strings().values():
            for text in texts:
                homes[text].add(pool.goods)
    assert not {text: goods for text, goods in homes.items() if len(goods) > 1}
    assert len({pool.goods for pool in pools}) == len(pools)


def test_pool_fields_follow_the_format(pools: list) -> None:
    labels = set(default_labels())
    for pool in pools:
        assert set(pool.labels) <= labels, pool.goods
        assert not (pool.hard_negative and pool.labels), pool.goods
        for kind, texts in pool.strings().items():
            assert len(texts) >= 3 and len(set(texts)) == len(texts), (pool.goods, kind)
            assert all(unicodedata.normalize("NFC", t) == t for t in texts), (pool.goods, kind)
        if isinstance(pool, seed_pools.PairedPool):
            assert set(pool.fake_labels) <= labels
            assert all("{price}" in post for post in (*pool.social_posts, *pool.used_posts)), pool.goods
        else:
            assert 0 < pool.price_vnd[0] <= pool.price_vnd[1], pool.goods
    assert {tuple(p.labels) for p in pools} >= {(), ("counterfeit",), ("smuggled",), ("prohibited",)}


def test_decorations_load() -> None:
    words = seed_pools.load_decorations()
    assert "Hà Nội" in words.cities and ("không", "k") in words.teencode


def copy_pools(tmp_path: Path) -> Path:
    folder = tmp_path / "pools"
    shutil.copytree(seed_pools.POOLS_DIR, folder)
    return folder


def edit_pool(folder: Path, file: str, goods: str, change: Any) -> None:
    path = folder / file
    document = json.loads(path.read_text(encoding="utf-8"))
    change(next(p for p in document["pools"] if p["goods"] == goods))
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


BAG = ("counterfeit.json", "replica_bag")
PAIRS = ("pairs.json", "pair_electronics")


@pytest.mark.parametrize(
    ("pool", "change", "message"),
    [
        (BAG, lambda p: p.update(labels=["fake_label"]), "pool 'replica_bag' (#1): labels: ['fake_label']"),
        (BAG, lambda p: p.pop("descriptions"), "counterfeit.json, pool 'replica_bag' (#1): descriptions: Field"),
        (BAG, lambda p: p.update(colour="red"), "counterfeit.json, pool 'replica_bag' (#1): colour: Extra inputs"),
        (
            BAG,
            lambda p: p["products"].append(unicodedata.normalize("NFD", "Túi mới")),
            "(#1): products.28: Value error, not NFC-normalised",
        ),
        (BAG, lambda p: p["social_posts"].append("giá {gia} thôi"), "unknown placeholder ['{gia}']"),
        (BAG, lambda p: p.update(price_vnd=[900, 100]), "price_vnd: Value error, [900, 100]: the minimum"),
        (BAG, lambda p: p.update(hard_negative=True), "hard_negative is for clean pools"),
        (BAG, lambda p: p["title_extras"].append(p["title_extras"][0]), "title_extras: Value error, repeats"),
        (PAIRS, lambda p: p["social_posts"].append("Về hàng rồi ae ơi"), "social_posts: Value error, posts"),
        (PAIRS, lambda p: p["items"][0].update(fake_share=[0.5, 1.5]), "items.0.fake_share.1: Input should"),
        (PAIRS, lambda p: p["items"][0].update(new=[3, 2]), "(#1): items.0.new: Value error, [3, 2]"),
        (PAIRS, lambda p: p.update(fake_labels=[]), "fake_labels: List should have at least 1 item"),
    ],
)
def test_a_broken_pool_names_its_file_pool_and_field(
    tmp_path: Path, pool: tuple[str, str], change: Any, message: str
) -> None:
    folder = copy_pools(tmp_path)
    edit_pool(folder, *pool, change)
    with pytest.raises(seed_pools.PoolError) as raised:
        seed_pools.load_pools(folder)
    assert message in str(raised.value)


def test_a_string_in_two_pools_is_refused(tmp_path: Path) -> None:
    folder = copy_pools(tmp_path)
    edit_pool(folder, "clean.json", "skincare_genuine", lambda p: p["title_extras"].append("rep 1:1 like auth"))
    edit_pool(folder, "counterfeit.json", "replica_bag", lambda p: p["title_extras"].append("rep 1:1 like auth"))
    with pytest.raises(seed_pools.PoolError) as raised:
        seed_pools.load_pools(folder)
    assert "'rep 1:1 like auth' in clean.json:skincare_genuine, counterfeit.json:replica_bag" in str(raised.value)


def changed_goods(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> set[str]:
    assert [x["id"] for x in before] == [x["id"] for x in after]
    assert [x["goods"] for x in before] == [x["goods"] for x in after]
    return {a["goods"] for a, b in zip(before, after, strict=True) if a != b}


@pytest.mark.parametrize(("file", "goods"), [("counterfeit.json", "replica_watch"), ("clean.json", "skincare_genuine")])
def test_editing_one_phrase_changes_only_its_pools_listings(tmp_path: Path, file: str, goods: str) -> None:
    """Each pool has its own random streams: one edited description (a clean pool's too, whose shops risky
    pools borrow) changes that pool's listings and no other listing in the file."""
    before = generate.generate(generate.SEED)
    folder = copy_pools(tmp_path)
    edit_pool(folder, file, goods, lambda p: p["descriptions"].__setitem__(0, p["descriptions"][0] + " Hàng mới về."))
    after = generate.generate(generate.SEED, pools=seed_pools.load_pools(folder))
    assert changed_goods(before, after) == {goods}


def test_the_pool_order_does_not_move_any_listing() -> None:
    """Where a pool's listings go in the file depends on the pool's name, not on the files' order."""
    pools = seed_pools.load_pools()
    forward = generate.generate(generate.SEED, pools=pools)
    backward = generate.generate(generate.SEED, pools=pools[::-1])
    assert [(x["goods"], x["title"]) for x in forward] == [(x["goods"], x["title"]) for x in backward]
