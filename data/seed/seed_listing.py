"""One seed listing: its shop, its words (a marketplace title and description, or a social post) and its fields.

Sellers of every label post on the same platforms in the same styles: a risky seller's profile only leans
newer, smaller and unofficial. The words a listing uses come from the view of its pool that its shop's side
of the split sees (``seed_split.side_view``); the shared decorations come from ``decorations.json``.
"""

from __future__ import annotations

import math
import random
import unicodedata
from typing import Any

import seed_split
from seed_pools import load_decorations
from seed_text import (
    MISSPELT_BRAND_SHARE,
    apply_teencode,
    fold_diacritics,
    format_price_text,
    misspell_brands,
    obfuscate,
)

MARKETPLACES = ("shopee", "lazada", "tiki")
SOCIAL = ("facebook", "zalo", "tiktok")
PLATFORM_WEIGHTS = {"shopee": 26, "lazada": 12, "tiki": 8, "facebook": 24, "zalo": 12, "tiktok": 12, "website": 5,
                    "other": 1}  # fmt: skip


def draw_price(pool: dict[str, Any], rng: random.Random) -> int:
    """A log-uniform price inside the pool's range (now and then outside it), rounded as shops round."""
    low, high = pool["price_vnd"]
    if rng.random() < 0.05:
        low, high = low / 3, high * 3
    value = math.exp(rng.uniform(math.log(max(low, 1000)), math.log(max(high, low + 1000))))
    step = 1000 if value < 200_000 else 10_000 if value < 5_000_000 else 100_000
    return max(step, int(round(value / step) * step))


def make_seller(index: int, risky: bool, pool: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A shop: risky sellers lean newer, smaller and unofficial, with plenty of overlap."""
    words = load_decorations()
    platform = rng.choices(list(PLATFORM_WEIGHTS), weights=list(PLATFORM_WEIGHTS.values()))[0]
    social = platform in SOCIAL or platform in ("website", "other")
    new_small = rng.random() < (0.65 if risky else 0.25)  # chance of a 'new, small' profile
    age = rng.randint(1, 120) if new_small else rng.randint(90, 3600)
    followers = rng.randint(0, 300) if new_small else int(math.exp(rng.uniform(4, 11)))
    official = (not risky and not new_small and platform in MARKETPLACES and rng.random() < 0.35) or (
        risky and platform in MARKETPLACES and rng.random() < 0.03
    )
    smuggled = "smuggled" in pool["labels"]
    location = rng.choice(words.border_towns) if smuggled and rng.random() < 0.5 else rng.choice(words.cities)

    def maybe(value: Any, keep: float) -> Any:
        return value if rng.random() < keep else None

    keep = 0.35 if social else 0.9
    seller = {
        "id": f"s-{platform}-{index:04d}",
        "name": None,
        "account_age_days": maybe(age, keep),
        "follower_count": maybe(followers, keep + 0.05),
        "rating": maybe(
            round(min(5.0, max(2.5, rng.gauss(4.3 if new_small else 4.7, 0.35))), 1), 0.2 if social else 0.85
        ),
        "listing_count": maybe(rng.randint(1, 40) if new_small else rng.randint(20, 3000), keep - 0.1),
        "is_official": maybe(official, 0.25 if social else 0.95),
        "location": maybe(location, 0.5 if social else 0.95),
    }
    seller["name"] = maybe(make_shop_name(rng), 0.8)
    side = seed_split.shop_side(seller["id"])
    return {"platform": platform, "seller": seller, "ships_abroad": smuggled and rng.random() < 0.45, "side": side}


def make_shop_name(rng: random.Random) -> str:
    """A plausible shop or page name, unrelated to the label."""
    words = load_decorations()
    word, name = rng.choice(words.shop_words), rng.choice(words.shop_names)
    return f"{word} {name}" if rng.random() < 0.7 else f"{name} {word}"


def compose_marketplace(
    pool: dict[str, Any], product: str, rng: random.Random, used: list[str]
) -> tuple[str, str | None]:
    """A Shopee/Lazada/Tiki style title and description; the pool strings it uses are added to ``used``."""
    words = load_decorations()
    parts = []
    if rng.random() < 0.45:
        parts.append(rng.choice(words.title_prefixes))
    parts.append(product)
    for extra in rng.sample(pool["title_extras"], k=min(len(pool["title_extras"]), rng.choice((0, 1, 1, 2)))):
        parts.append(extra if rng.random() < 0.6 else f"- {extra}")
        used.append(extra)
    if rng.random() < 0.4:
        parts.append(rng.choice(words.title_suffixes))
    title = " ".join(parts)
    if rng.random() < 0.12:
        return title, None
    sentences = rng.sample(pool["descriptions"], k=min(len(pool["descriptions"]), rng.randint(1, 4)))
    used.extend(sentences)
    sentences += rng.sample(words.marketplace_lines, k=rng.randint(0, 2))
    rng.shuffle(sentences)
    return title, " ".join(sentences)


def compose_social(
    pool: dict[str, Any], product: str, price: int, rng: random.Random, used: list[str]
) -> tuple[str, str]:
    """A Facebook/Zalo/TikTok post: the title is its first line, the description the whole post."""
    post = rng.choice(pool["social_posts"])
    used.append(post)
    lines = [post.replace("{product}", product).replace("{price}", format_price_text(price, rng))]
    if rng.random() < 0.5:
        lines.insert(0 if rng.random() < 0.5 else 1, product)
    lines += rng.sample(load_decorations().social_lines, k=rng.randint(0, 2))
    if rng.random() < 0.3:
        lines.append(rng.choice(pool["descriptions"]))
        used.append(lines[-1])
    text = apply_teencode("\n".join(lines), rng, rate=0.5)
    title = text.split("\n", 1)[0].strip()
    if len(title) > 120:
        title = title[:117].rsplit(" ", 1)[0] + "..."
    return title or product, text


def make_url(platform: str, listing_id: int, rng: random.Random) -> str | None:
    """A plausible but fake listing address."""
    if rng.random() < 0.1:
        return None
    shop, item = rng.randint(10_000_000, 999_999_999), rng.randint(1_000_000_000, 29_999_999_999)
    return {
        "shopee": f"https://shopee.vn/product-i.{shop}.{item}",
        "lazada": f"https://www.lazada.vn/products/i{item}-s{shop}.html",
        "tiki": f"https://tiki.vn/p{item}.html",
        "facebook": f"https://www.facebook.com/groups/{shop}/posts/{item}",
        "zalo": None,
        "tiktok": f"https://www.tiktok.com/@shop{shop}/video/{item}",
        "website": f"https://shop{listing_id % 97}.example.vn/san-pham/{item}",
        "other": None,
    }[platform]


def make_listing(pool: dict[str, Any], shop: dict[str, Any], product: str, rng: random.Random) -> dict[str, Any]:
    """One listing from a pool (as the shop's side sees it), posted by a shop, in a style drawn for it."""
    platform, used = shop["platform"], [product]
    price = draw_price(pool, rng)
    if platform in MARKETPLACES or (platform == "website" and rng.random() < 0.5):
        title, description = compose_marketplace(pool, product, rng, used)
        style, shown_price = "marketplace", price
    else:
        title, description = compose_social(pool, product, price, rng, used)
        style, shown_price = "social", price if rng.random() < 0.45 else None
    roll = rng.random()
    if roll < 0.09:
        title, description = obfuscate(title, rng), obfuscate(description, rng) if description else None
        style = "obfuscated"
    elif roll < 0.32:
        title, description = fold_diacritics(title), fold_diacritics(description) if description else None
        style = "no_diacritics"
    # its own generator, seeded by the listing's words: misspelling draws nothing from the pool's stream
    misspelling = random.Random(f"misspelt-brand|{shop['seller']['id']}|{title}|{description}")
    if pool["brands"] and misspelling.random() < MISSPELT_BRAND_SHARE["counterfeit" in pool["labels"]]:
        title = misspell_brands(title, pool["brands"], misspelling) or title
        description = misspell_brands(description, pool["brands"], misspelling)
    text = {"title": title, "description": description, "price": shown_price, "style": style}
    return finish_listing(pool, shop, text, rng, product=product, used=used)


def _ships_from(shop: dict[str, Any], rng: random.Random) -> str | None:
    """Where a listing ships from: abroad for some smuggling shops, else (often) the shop's own city."""
    if shop["ships_abroad"] and rng.random() < 0.8:
        return rng.choice(load_decorations().abroad)
    if shop["platform"] in MARKETPLACES or rng.random() < 0.3:
        return shop["seller"]["location"] or rng.choice(load_decorations().cities)
    return None


def finish_listing(
    pool: dict[str, Any],
    shop: dict[str, Any],
    text: dict[str, Any],
    rng: random.Random,
    *,
    product: str,
    used: list[str],
) -> dict[str, Any]:
    """A listing's contract fields and extras around its composed text (title, description, price, style).

    Its ``id`` is given when the listings of all pools are put in order (``generate.number_listings``).
    """
    platform = shop["platform"]
    marketplace = platform in MARKETPLACES
    ships_from = _ships_from(shop, rng)
    return {
        "id": None,
        "platform": platform,
        "url": make_url(platform, 0, rng),
        "title": unicodedata.normalize("NFC", text["title"]),
        "description": unicodedata.normalize("NFC", text["description"]) if text["description"] else None,
        "price": text["price"],
        "category": rng.choice(pool["category"]) if marketplace or rng.random() < 0.2 else None,
        "brand": text.get("brand", rng.choice(pool["brands"]) if pool["brands"] else None)
        if rng.random() < (0.7 if marketplace else 0.2)
        else None,
        "seller": shop["seller"],
        "ships_from": ships_from,
        "sold_count": int(math.exp(rng.uniform(0, 8))) - 1 if marketplace and rng.random() < 0.9 else None,
        "image_count": rng.randint(1, 12) if rng.random() < (0.95 if marketplace else 0.5) else None,
        "labels": list(text.get("labels", pool["labels"])),
        "goods": pool["goods"],
        "style": text["style"],
        "hard_negative": bool(pool.get("hard_negative", False)),
        "split": shop["side"],
        "pool_entry": product,
        "_used": sorted(set(used)),
    }
