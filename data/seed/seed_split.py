"""The honest split of the seed data: every phrase-pool string belongs to one side, train, valid or test.

A string's side is a stable hash of the string itself (70/15/15), so the same sentence is on the same side in
every pool and in every run, and adding a pool moves no other string. Each pool must still be able to compose
a listing on every side, so where a pool has no string of some kind on a side, the string of that kind with
the lowest hash on the pool's largest side moves there (preferring a string no other pool uses). Every shop
has a side too, and composes its listings only from its side's strings; decorations shared by all pools
(title prefixes, marketplace lines) stay shared. So no pool string in a test listing is in a train listing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from seed_pools import ORDINARY_KINDS, PAIRED_KINDS

SIDES = ("train", "valid", "test")
SHARES = (0.70, 0.15, 0.15)
CONTAINED_MIN = 12  # shorter strings ("giá sỉ") are common words, not quotations


def hash_unit(text: str, salt: str = "soi-seed-split") -> float:
    """A stable number in [0, 1) for a string."""
    digest = hashlib.sha256(f"{salt}|{text}".encode()).hexdigest()
    return int(digest[:13], 16) / 16**13


def side_by_hash(text: str) -> str:
    """The side a string falls on by its hash alone."""
    unit, bound = hash_unit(text), 0.0
    for side, share in zip(SIDES, SHARES, strict=True):
        bound += share
        if unit < bound:
            return side
    return SIDES[-1]


def entry_text(entry: Any) -> str:
    """The string that stands for a pool entry: itself, or a paired item's product name."""
    return entry["product"] if isinstance(entry, dict) else entry


def pool_kinds(pool: dict[str, Any]) -> tuple[str, ...]:
    """The kinds of string a pool is composed from."""
    return PAIRED_KINDS if pool.get("kind") == "paired" else ORDINARY_KINDS


def assign_sides(pools: list[dict[str, Any]]) -> dict[str, str]:
    """The side of every pool string, with every pool holding each kind of string on each side."""
    uses = Counter(
        entry_text(e) for pool in pools for kind in pool_kinds(pool) for e in set(map(entry_text, pool[kind]))
    )
    sides = {text: side_by_hash(text) for text in uses}
    for pool in pools:
        follow_contained(
            sorted({entry_text(e) for kind in pool_kinds(pool) for e in pool[kind]}, key=lambda s: (len(s), s)), sides
        )
    for pool in pools:
        for kind in pool_kinds(pool):
            texts = sorted({entry_text(e) for e in pool[kind]}, key=hash_unit)
            for side in SIDES:
                if any(sides[t] == side for t in texts):
                    continue
                by_side = Counter(sides[t] for t in texts)
                largest = max(SIDES, key=lambda s: (by_side[s], s == "train"))
                movable = [t for t in texts if sides[t] == largest]
                if len(movable) < 2:
                    raise ValueError(f"pool {pool['goods']}: too few {kind} to put one on every side")
                movable.sort(key=lambda t: (uses[t] > 1, hash_unit(t)))
                sides[movable[0]] = side
    for pool in pools:
        for kind in pool_kinds(pool):
            missing = set(SIDES) - {sides[entry_text(e)] for e in pool[kind]}
            if missing:
                raise ValueError(f"pool {pool['goods']}: no {kind} on {sorted(missing)}")
    return sides


def follow_contained(texts: list[str], sides: dict[str, str]) -> None:
    """A string that quotes another string of its pool (a post that opens with a product) takes its side."""
    for i, short in enumerate(texts):
        if len(short) < CONTAINED_MIN:
            continue
        for long in texts[i + 1 :]:
            if short in long:
                sides[long] = sides[short]


def side_view(pool: dict[str, Any], sides: dict[str, str], side: str) -> dict[str, Any]:
    """The pool as a shop on one side sees it: only that side's strings of each kind."""
    view = dict(pool)
    for kind in pool_kinds(pool):
        view[kind] = [e for e in pool[kind] if sides[entry_text(e)] == side]
    return view


def shop_side(seller_id: str) -> str:
    """The side of a shop, by a stable hash of its id."""
    return side_by_hash(f"shop|{seller_id}")
