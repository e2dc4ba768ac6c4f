"""Write the Soi seed dataset (``data/seed/listings.jsonl``) from the hand-written phrase pools beside this file.

The pools (``pools/*.json``, checked on load by ``seed_pools.py``; format in POOL_FORMAT.md) hold hand-written
product names, title phrases, descriptions and social-media posts for each kind of goods, risky and clean.
This script composes listings from them the way sellers post (``seed_listing.py``, ``seed_text.py``):
marketplace titles with specs, chatty social posts, text without diacritics, teencode and deliberate
obfuscation, with seller metadata that leans one way for risky sellers but overlaps heavily. Every style,
decoration (``decorations.json``) and platform is shared by clean and risky pools, so the style of a listing
does not give its label away.

Every pool string and every shop has a side of the split (``seed_split.py``); a shop composes its listings only
from its side's strings, and each listing records its ``split`` and the ``pool_entry`` it was built on. Paired
pools are written by ``seed_pairs.py``: the same product in the same words at a genuine, a fake and a sale
price, and second-hand.

Each pool draws from random streams of its own, seeded by the pool's name, and its listings take places in
the file by a hash of the pool's name and their number in the pool: editing one pool's phrases changes only
that pool's listings. Deterministic: the same pools give byte-identical output.
Run: ``python data/seed/generate.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

SEED = 20261123
HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "listings.jsonl"
sys.path.insert(0, str(HERE))  # the sibling modules, when this file is loaded by path (the tests do)
import seed_pairs  # noqa: E402
import seed_split  # noqa: E402
from seed_listing import make_listing, make_seller, make_url  # noqa: E402
from seed_pools import load_pools  # noqa: E402

RISKY_PER_POOL = 62
CLEAN_PER_POOL = 60
SELLER_BLOCK = 1000  # each pool numbers its shops in a block of its own, placed by a hash of its name
BORROWED_SHOP_SHARE = 0.08  # share of a risky pool's shops that are established clean shops also selling it


def stream(seed: int, pool: dict[str, Any], purpose: str) -> random.Random:
    """A random stream of one pool's own, seeded by its name (``random`` hashes the string with SHA-512)."""
    return random.Random(f"{seed}:{pool['goods']}:{purpose}")


def first_seller_index(pool: dict[str, Any]) -> int:
    """Where a pool's block of shop numbers starts: by its name, so adding or moving a pool renames no shop."""
    return int(hashlib.sha256(f"shops|{pool['goods']}".encode()).hexdigest()[:6], 16) * SELLER_BLOCK


def plan_shops(
    pool: dict[str, Any], first_index: int, rng: random.Random, clean_shops: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], int]]:
    """The shops that post an ordinary pool and how many listings each posts.

    Drawn from the pool's ``shops`` stream, which no phrase touches: a clean pool's shops (which risky pools
    borrow) stay the same when its phrases change.
    """
    risky = bool(pool["labels"])
    target = RISKY_PER_POOL if risky else CLEAN_PER_POOL
    plan: list[tuple[dict[str, Any], int]] = []
    index, planned = first_index, 0
    while planned < target:
        if risky and clean_shops and rng.random() < BORROWED_SHOP_SHARE:
            shop, posts = rng.choice(clean_shops), rng.randint(1, 2)  # an established shop selling a few risky items
        else:
            index += 1
            shop = make_seller(index, risky, pool, rng)
            posts = min(target - planned, max(1, int(rng.expovariate(1 / 4))), 15)
        plan.append((shop, posts))
        planned += posts
    if index - first_index >= SELLER_BLOCK:
        raise ValueError(f"pool {pool['goods']}: more than {SELLER_BLOCK} shops")
    return plan


def post_pool(
    views: dict[str, dict], plan: list[tuple[dict[str, Any], int]], rng: random.Random
) -> list[dict[str, Any]]:
    """The listings of one ordinary pool, each shop posting from its side's view of the pool."""
    listings: list[dict[str, Any]] = []
    for shop, posts in plan:
        view = views[shop["side"]]
        product = rng.choice(view["products"])
        for _ in range(posts):
            if rng.random() > 0.3:  # 30% of posts are reposts of the shop's previous product
                product = rng.choice(view["products"])
            listings.append(make_listing(view, shop, product, rng))
    return listings


def clean_shop_plans(pools: list[dict[str, Any]], seed: int) -> dict[str, list[tuple[dict[str, Any], int]]]:
    """The shop plans of the ordinary clean pools, drawn first: risky pools borrow some of their shops."""
    return {
        pool["goods"]: plan_shops(pool, first_seller_index(pool), stream(seed, pool, "shops"), [])
        for pool in pools
        if not pool["labels"] and pool.get("kind") != "paired"
    }


def number_listings(listings: list[dict[str, Any]], seed: int, usage: dict[str, list[str]] | None) -> None:
    """Give the listings their ids in file order, and hand each one's pool strings to ``usage``."""
    for number, listing in enumerate(listings, start=1):
        listing["id"] = f"seed-{number:05d}"
        if listing["url"] and listing["platform"] == "website":
            listing["url"] = make_url("website", number, random.Random(f"{seed}:url:{number}"))
        used = listing.pop("_used")
        if usage is not None:
            usage[listing["id"]] = used


def generate(
    seed: int = SEED, usage: dict[str, list[str]] | None = None, pools: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """All listings: each pool posted by its own shops, some shops mixing clean and risky goods.

    ``pools`` defaults to the pool files beside this script; ``usage``, when given, receives every listing's
    pool strings (by listing id), for the split's tests.
    """
    pools = load_pools() if pools is None else pools
    sides = seed_split.assign_sides(pools)
    clean_plans = clean_shop_plans(pools, seed)
    clean_shops = [shop for goods in sorted(clean_plans) for shop, _ in clean_plans[goods]]  # in no file's order
    placed: list[tuple[str, dict[str, Any]]] = []
    if len({first_seller_index(pool) for pool in pools}) < len(pools):
        raise ValueError("two pools' names give the same block of shop numbers: rename one")
    for pool in pools:
        views = {side: seed_split.side_view(pool, sides, side) for side in seed_split.SIDES}
        rng = stream(seed, pool, "listings")
        if pool.get("kind") == "paired":
            listings = seed_pairs.post_pairs(pool, views, {"seller_index": first_seller_index(pool)}, rng)
        else:
            plan = clean_plans.get(pool["goods"])
            if plan is None:
                plan = plan_shops(pool, first_seller_index(pool), stream(seed, pool, "shops"), clean_shops)
            listings = post_pool(views, plan, rng)
        for index, listing in enumerate(listings):
            place = hashlib.sha256(f"{seed}|{pool['goods']}|{index}".encode()).hexdigest()
            placed.append((place, listing))
    ordered = [listing for _, listing in sorted(placed, key=lambda pair: pair[0])]
    number_listings(ordered, seed, usage)
    return ordered


def summarise(listings: list[dict[str, Any]]) -> str:
    """Counts for the datasheet."""
    labels = Counter(label for item in listings for label in item["labels"])
    lines = [
        f"total {len(listings)}",
        f"clean {sum(1 for x in listings if not x['labels'])}",
        f"hard negatives {sum(1 for x in listings if x['hard_negative'])}",
        f"multi-label {sum(1 for x in listings if len(x['labels']) > 1)}",
        f"sellers {len({x['seller']['id'] for x in listings})}",
        f"labels {dict(sorted(labels.items()))}",
        f"platforms {dict(sorted(Counter(x['platform'] for x in listings).items()))}",
        f"styles {dict(sorted(Counter(x['style'] for x in listings).items()))}",
        f"goods {dict(sorted(Counter(x['goods'] for x in listings).items()))}",
    ]
    return "\n".join(lines)


def write_listings(listings: list[dict[str, Any]], path: Path = OUTPUT) -> None:
    """Write the listings as JSON lines, atomically: a reader never sees a half-written file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    with partial.open("w", encoding="utf-8", newline="\n") as handle:
        for listing in listings:
            handle.write(json.dumps(listing, ensure_ascii=False, separators=(",", ":")) + "\n")
    os.replace(partial, path)


def main() -> None:
    """Generate and write the dataset, then print its counts."""
    listings = generate(SEED)
    write_listings(listings)
    print(f"wrote {OUTPUT}")
    print(summarise(listings))


if __name__ == "__main__":
    main()
