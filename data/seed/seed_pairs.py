"""Price pairs: listings of the same product in the same words, told apart only by price and condition.

A paired pool (``"kind": "paired"``, see POOL_FORMAT.md) lists well-known products with their genuine new and
second-hand prices in VND (for the whole quantity the name states: "cây 10 gói", "combo 5 cuốn", "3 hộp").
For each product the generator writes groups of four listings by four different shops of the same kind of
platform, all on the product's side of the split:

- ``genuine``: the product new, at a genuine price (clean);
- ``fake``: the same words at a fake's price, 10-35% of the genuine one (the pool's ``fake_labels``);
- ``sale``: the same words at 70-90% of the genuine price, a believable discount (clean);
- ``used``: the product second-hand with its receipt, in second-hand words, at a used price (clean).

The genuine, fake and sale listings share title and description word for word (the price alone differs), so a
model can only tell them apart by reading product and price. Shops are drawn as clean shops for every role, so
seller metadata does not give the fake away either.
"""

from __future__ import annotations

import random
from typing import Any

from seed_listing import MARKETPLACES, compose_marketplace, compose_social, finish_listing, make_seller
from seed_text import fold_diacritics, format_price_text

GROUPS_PER_ITEM = 4
FAKE_SHARE = (0.10, 0.35)
SALE_SHARE = (0.70, 0.90)
PRICE_MARK = "\ue000"  # where a social post's price goes, filled per listing after the words are fixed
ROLES = ("genuine", "fake", "sale", "used")


def round_price(value: float) -> int:
    """A price rounded as shops round it."""
    step = 1000 if value < 200_000 else 10_000 if value < 5_000_000 else 100_000
    return max(step, int(round(value / step) * step))


def role_prices(item: dict[str, Any], rng: random.Random) -> dict[str, int]:
    """One price per role for one group of listings of an item."""
    low, high = item["new"]
    genuine = rng.uniform(low, high)
    prices = {
        "genuine": round_price(genuine),
        "fake": round_price(genuine * rng.uniform(*item.get("fake_share", FAKE_SHARE))),
        "sale": round_price(genuine * rng.uniform(*SALE_SHARE)),
    }
    if item["used"]:
        prices["used"] = round_price(rng.uniform(*item["used"]))
    return prices


def shop_for(pool: dict[str, Any], side: str, marketplace: bool, state: dict, rng: random.Random) -> dict:
    """A fresh clean-looking shop on a platform of the group's kind, on the item's side."""
    for _ in range(40):
        state["seller_index"] += 1
        shop = make_seller(state["seller_index"], False, pool, rng)
        if (shop["platform"] in MARKETPLACES) == marketplace:
            break
    return {**shop, "side": side}


def words(view: dict[str, Any], product: str, marketplace: bool, rng: random.Random) -> tuple:
    """Title, description and the pool strings used, with PRICE_MARK where a social post names the price."""
    used: list[str] = [product]
    if marketplace:
        title, description = compose_marketplace(view, product, rng, used)
    else:
        marked = {**view, "social_posts": [p.replace("{price}", PRICE_MARK) for p in view["social_posts"]]}
        title, description = compose_social(marked, product, 0, rng, used)
    title, description = title.replace("{product}", product), (description or "").replace("{product}", product)
    return title, description or None, used


def group(pool: dict, view: dict, item: dict, side: str, state: dict, rng: random.Random) -> list:
    """Four listings of one item: genuine, fake, sale and used, in one platform kind and one writing style."""
    product = item["product"]
    marketplace = rng.random() < 0.5
    folded = rng.random() < 0.25
    used_view = {
        **view,
        "title_extras": view["used_extras"],
        "descriptions": view["used_descriptions"],
        "social_posts": view["used_posts"],
    }
    new_words = words(view, product, marketplace, rng)
    used_words = words(used_view, product, marketplace, rng)
    prices = role_prices(item, rng)
    state["pair_groups"] = state.get("pair_groups", 0) + 1
    group_id = f"{pool['goods']}-{state['pair_groups']:04d}"
    listings = []
    for role in (r for r in ROLES if r in prices):
        title, description, used = used_words if role == "used" else new_words
        if folded:
            title, description = fold_diacritics(title), description and fold_diacritics(description)
        price_text = format_price_text(prices[role], rng)
        price_text = fold_diacritics(price_text) if folded else price_text
        description = description.replace(PRICE_MARK, price_text) if description else None
        shop = shop_for(pool, side, marketplace, state, rng)
        text = {
            "title": title.replace(PRICE_MARK, price_text),
            "description": description,
            "price": prices[role] if marketplace or rng.random() < 0.5 else None,
            "style": "no_diacritics" if folded else "marketplace" if marketplace else "social",
            "labels": pool["fake_labels"] if role == "fake" else [],
            "brand": item.get("brand"),
        }
        listing = finish_listing(pool, shop, text, rng, product=product, used=used)
        listing["pair_role"], listing["pair_group"] = role, group_id
        listings.append(listing)
    return listings


def post_pairs(
    pool: dict[str, Any], views: dict[str, dict], state: dict[str, Any], rng: random.Random
) -> list[dict[str, Any]]:
    """Every group of every item of a paired pool, each item composed from its own side's strings.

    ``state`` holds the pool's own counters (``seller_index``; ``pair_groups`` is added), ``rng`` its own stream.
    """
    listings: list[dict[str, Any]] = []
    for side, view in views.items():
        for item in view["items"]:
            for _ in range(GROUPS_PER_ITEM):
                listings += group(pool, view, item, side, state, rng)
    return listings
