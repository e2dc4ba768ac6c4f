"""Write the Soi seed dataset (``data/seed/listings.jsonl``) from the hand-written phrase pools beside this file.

The pools (``pools_*.py``, listed in ``POOL_MODULES``) hold hand-written product
names, title phrases, descriptions and social-media posts for each kind of goods, risky and clean. This script
composes listings from them the way sellers post: marketplace titles with specs, chatty social posts, text
without diacritics, teencode and deliberate obfuscation, with seller metadata that leans one way for risky
sellers but overlaps heavily. Every style, decoration and platform is shared by clean and risky pools, so the
style of a listing does not give its label away.

Every pool string and every shop has a side of the split (``seed_split.py``); a shop composes its listings only
from its side's strings, and each listing records its ``split`` and the ``pool_entry`` it was built on. Paired
pools (``pools_pairs.py``) are written by ``seed_pairs.py``: the same product in the same words at a genuine, a
fake and a sale price, and second-hand.

Deterministic: the same pools give byte-identical output. Stdlib only. Run: ``python data/seed/generate.py``.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

SEED = 20261123
HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "listings.jsonl"
sys.path.insert(0, str(HERE))
import seed_pairs  # noqa: E402  (beside this file)
import seed_split  # noqa: E402
from seed_pools import load_pools  # noqa: E402

RISKY_PER_POOL = 62
CLEAN_PER_POOL = 60

MARKETPLACES = ("shopee", "lazada", "tiki")
SOCIAL = ("facebook", "zalo", "tiktok")
PLATFORM_WEIGHTS = {
    "shopee": 26,
    "lazada": 12,
    "tiki": 8,
    "facebook": 24,
    "zalo": 12,
    "tiktok": 12,
    "website": 5,
    "other": 1,
}
CITIES = (
    "Hà Nội",
    "TP. Hồ Chí Minh",
    "Đà Nẵng",
    "Hải Phòng",
    "Cần Thơ",
    "Bình Dương",
    "Đồng Nai",
    "Nghệ An",
    "Bắc Ninh",
    "Khánh Hòa",
    "Thừa Thiên Huế",
    "Quảng Ninh",
)
BORDER = ("Lạng Sơn", "Quảng Ninh", "Lào Cai", "An Giang", "Tây Ninh", "Cao Bằng")
ABROAD = ("Nước ngoài", "Trung Quốc", "Hàn Quốc", "Nhật Bản", "Thái Lan")

# Decorations that sellers of anything use; drawn the same way for clean and risky listings.
TITLE_PREFIXES = (
    "[Hàng Mới Về]",
    "[FREESHIP]",
    "[SALE 50%]",
    "[Mã giảm 20K]",
    "🔥",
    "⚡ HOT ⚡",
    "[CÓ SẴN]",
    "[HÀNG LOẠI 1]",
    "✅",
    "[GIÁ SỈ]",
    "(Ảnh thật)",
    "🎁",
    "[Bán chạy]",
    "NEW 2026 -",
)
TITLE_SUFFIXES = (
    "Giá Tốt",
    "Freeship Toàn Quốc",
    "Giao Hỏa Tốc",
    "Mẫu Mới 2026",
    "Hàng Có Sẵn",
    "Bảo Hành 1 Đổi 1",
    "Ship COD",
    "Shop Uy Tín",
    "Sll Giá Sỉ",
    "Hot Trend",
    "Quà Tặng Ý Nghĩa",
    "Đủ Màu",
)
MARKETPLACE_LINES = (
    "Shop cam kết giao đúng mẫu như hình, đổi trả trong 7 ngày nếu lỗi do nhà sản xuất.",
    "Hàng được đóng gói cẩn thận, chống sốc, giao hàng toàn quốc.",
    "Inbox shop để được tư vấn chọn mẫu phù hợp nhé.",
    "Đơn từ 2 sản phẩm được giảm thêm 5%.",
    "Vui lòng quay video khi mở hàng để được hỗ trợ đổi trả.",
    "Thời gian giao hàng 2-4 ngày tùy khu vực.",
    "Sản phẩm có sẵn tại kho, đặt hàng là giao ngay.",
    "Mọi thắc mắc xin liên hệ chat với shop, shop trả lời nhanh trong giờ hành chính.",
    "Cảm ơn quý khách đã tin tưởng ủng hộ shop!",
    "Giá trên đã bao gồm VAT chưa bao gồm phí vận chuyển.",
)
SOCIAL_LINES = (
    "Ib em để được tư vấn nha 😍",
    "Ship cod toàn quốc, nhận hàng mới thanh toán.",
    "Sll giá sỉ inbox ạ.",
    "Có sẵn số lượng, chốt đơn liền tay 🔥",
    "Zalo: 09xx.xxx.xxx (ảnh thật shop tự chụp)",
    "Ae quan tâm cmt hoặc ib nhé!",
    "Giao nhanh nội thành trong 1h.",
    "Check hàng thoải mái rồi mới thanh toán.",
    "Đăng lần cuối, ai cần thì nhắn sớm ạ.",
    "Ai lấy nhiều em bớt thêm cho.",
    "#freeship #hangcosan #giare",
    "Rep tin nhắn hơi chậm mong mọi người thông cảm 🙏",
    "Kết bạn zalo để xem thêm mẫu nhé.",
)
TEENCODE = (
    ("không", "k"),
    ("không", "ko"),
    ("được", "đc"),
    ("được", "dc"),
    ("sản phẩm", "sp"),
    ("inbox", "ib"),
    ("anh em", "ae"),
    ("công ty", "cty"),
    ("triệu", "tr"),
    ("bao nhiêu", "bn"),
    ("nhiều", "nhìu"),
    ("vậy", "z"),
    ("rồi", "r"),
    ("biết", "bít"),
    ("quá", "wá"),
    ("gì", "j"),
)
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
EMOJI_STANDINS = (
    ("bóng cười", "🎈😂"),
    ("cần sa", "🍃"),
    ("cỏ", "🍃"),
    ("kẹo", "🍬"),
    ("pháo", "🎆"),
    ("súng", "🔫"),
    ("thuốc lá", "🚬"),
    ("rượu", "🍾"),
    ("đồng hồ", "⌚"),
    ("nước hoa", "🌸"),
)


def fold_diacritics(text: str) -> str:
    """Strip Vietnamese tone and vowel marks, including đ → d."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def format_price_text(price: int, rng: random.Random) -> str:
    """A price as sellers write it in posts: 350k, 1tr2, 1.250.000đ."""
    if price >= 1_000_000 and rng.random() < 0.6:
        millions, rest = divmod(price, 1_000_000)
        return f"{millions}tr{rest // 100_000}" if rest >= 100_000 else f"{millions}tr"
    if price < 1_000_000 and rng.random() < 0.6:
        return f"{price // 1000}k"
    return f"{price:,}".replace(",", ".") + rng.choice(("đ", " đ", "₫", " vnđ"))


def draw_price(pool: dict[str, Any], rng: random.Random) -> int:
    """A log-uniform price inside the pool's range (now and then outside it), rounded as shops round."""
    low, high = pool["price_vnd"]
    if rng.random() < 0.05:
        low, high = low / 3, high * 3
    value = math.exp(rng.uniform(math.log(max(low, 1000)), math.log(max(high, low + 1000))))
    step = 1000 if value < 200_000 else 10_000 if value < 5_000_000 else 100_000
    return max(step, int(round(value / step) * step))


def make_seller(index: int, risky: bool, pool: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A seller profile: risky sellers lean newer, smaller and unofficial, with plenty of overlap."""
    platform = rng.choices(list(PLATFORM_WEIGHTS), weights=list(PLATFORM_WEIGHTS.values()))[0]
    social = platform in SOCIAL or platform in ("website", "other")
    lean = 0.65 if risky else 0.25  # chance of a 'new, small' profile
    new_small = rng.random() < lean
    age = rng.randint(1, 120) if new_small else rng.randint(90, 3600)
    followers = rng.randint(0, 300) if new_small else int(math.exp(rng.uniform(4, 11)))
    official = (not risky and not new_small and platform in MARKETPLACES and rng.random() < 0.35) or (
        risky and platform in MARKETPLACES and rng.random() < 0.03
    )
    smuggled = "smuggled" in pool["labels"]
    location = rng.choice(BORDER) if smuggled and rng.random() < 0.5 else rng.choice(CITIES)

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
    seller["name"] = maybe(make_shop_name(pool, rng), 0.8)
    side = seed_split.shop_side(seller["id"])
    return {"platform": platform, "seller": seller, "ships_abroad": smuggled and rng.random() < 0.45, "side": side}


SHOP_WORDS = ("Shop", "Store", "Kho sỉ", "Tiệm", "House", "Hàng Hiệu", "Nhà", "Góc nhỏ", "Xưởng", "Official")
SHOP_NAMES = (
    "Minh Anh",
    "Hoàng Long",
    "Bảo Ngọc",
    "Thanh Hà",
    "Gia Huy",
    "An Nhiên",
    "Tuấn Kiệt",
    "Mộc",
    "Sài Gòn",
    "Hà Thành",
    "88",
    "Vip",
    "Phố Cổ",
    "Lộc Phát",
    "Hương Giang",
    "Tâm An",
    "Bé Bi",
    "Kim Chi",
)


def make_shop_name(pool: dict[str, Any], rng: random.Random) -> str:
    """A plausible shop or page name, unrelated to the label."""
    word = rng.choice(SHOP_WORDS)
    name = rng.choice(SHOP_NAMES)
    return f"{word} {name}" if rng.random() < 0.7 else f"{name} {word}"


def apply_teencode(text: str, rng: random.Random, rate: float) -> str:
    """Replace some words with teencode the way fast typists do."""
    for long, short in TEENCODE:
        if long in text and rng.random() < rate:
            text = text.replace(long, short)
    return text


def obfuscate_word(word: str, rng: random.Random) -> str:
    """One of the tricks sellers use to get a word past filters; numbers (prices, sizes) are left as written."""
    if len(word) < 3 or any(ch.isdigit() for ch in word):
        return word
    trick = rng.random()
    if trick < 0.35:
        return ".".join(word)
    if trick < 0.55:
        return " ".join(word)
    if trick < 0.8:
        folded = fold_diacritics(word)
        return "".join(LEET.get(ch, ch) if rng.random() < 0.6 else ch for ch in folded)
    # misspelling: a doubled or dropped letter
    position = rng.randrange(1, len(word))
    return (
        word[:position] + word[position - 1] + word[position:]
        if rng.random() < 0.5
        else word[:position] + word[position + 1 :]
    )


def obfuscate(text: str, rng: random.Random) -> str:
    """Emoji stand-ins for tell-tale phrases, and a share of the remaining words disguised."""
    for phrase, emoji in EMOJI_STANDINS:
        if phrase in text.lower() and rng.random() < 0.5:
            start = text.lower().index(phrase)
            text = text[:start] + emoji + text[start + len(phrase) :]
    words = text.split(" ")
    return " ".join(obfuscate_word(w, rng) if rng.random() < 0.3 else w for w in words)


# Sellers of fakes misspell the brand so trademark filters miss it ("Rolexx", "Gucii", "Lui Vuiton"); honest
# sellers rarely do. Share of listings whose brand names are misspelt, by whether the pool is counterfeit.
MISSPELT_BRAND_SHARE = {True: 0.3, False: 0.02}


def misspell_brand(name: str, rng: random.Random) -> str:
    """A deliberate misspelling of a brand name: a letter doubled, dropped or swapped with its neighbour."""
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(letters) < 4:
        return name
    i = rng.choice(letters[1:])
    trick = rng.random()
    if trick < 0.45:
        return name[: i + 1] + name[i] + name[i + 1 :]
    if trick < 0.75:
        return name[:i] + name[i + 1 :]
    j = i - 1 if name[i - 1].isalpha() else i
    return name[:j] + name[j + 1] + name[j] + name[j + 2 :] if j + 1 < len(name) else name


def misspell_brands(text: str | None, brands: list[str], rng: random.Random) -> str | None:
    """The text with every brand of the pool it names misspelt the same way (as one seller would)."""
    if not text:
        return text
    for brand in brands:
        start = text.lower().find(brand.lower())
        if start >= 0:
            written = text[start : start + len(brand)]
            text = text.replace(written, misspell_brand(written, rng))
    return text


def compose_marketplace(
    pool: dict[str, Any], product: str, rng: random.Random, used: list[str]
) -> tuple[str, str | None]:
    """A Shopee/Lazada/Tiki style title and description; the pool strings it uses are added to ``used``."""
    parts = []
    if rng.random() < 0.45:
        parts.append(rng.choice(TITLE_PREFIXES))
    parts.append(product)
    for extra in rng.sample(pool["title_extras"], k=min(len(pool["title_extras"]), rng.choice((0, 1, 1, 2)))):
        parts.append(extra if rng.random() < 0.6 else f"- {extra}")
        used.append(extra)
    if rng.random() < 0.4:
        parts.append(rng.choice(TITLE_SUFFIXES))
    title = " ".join(parts)
    if rng.random() < 0.12:
        return title, None
    sentences = rng.sample(pool["descriptions"], k=min(len(pool["descriptions"]), rng.randint(1, 4)))
    used.extend(sentences)
    sentences += rng.sample(MARKETPLACE_LINES, k=rng.randint(0, 2))
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
    lines += rng.sample(SOCIAL_LINES, k=rng.randint(0, 2))
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


def make_listing(
    number: int, pool: dict[str, Any], shop: dict[str, Any], product: str, rng: random.Random
) -> dict[str, Any]:
    """One listing from a pool (as the shop's side sees it), posted by a shop, in a style drawn for it."""
    platform, used = shop["platform"], [product]
    price = draw_price(pool, rng)
    if platform in MARKETPLACES or (platform == "website" and rng.random() < 0.5):
        title, description = compose_marketplace(pool, product, rng, used)
        style = "marketplace"
        shown_price: int | None = price
    else:
        title, description = compose_social(pool, product, price, rng, used)
        style = "social"
        shown_price = price if rng.random() < 0.45 else None
    roll = rng.random()
    if roll < 0.09:
        title, description = obfuscate(title, rng), obfuscate(description, rng) if description else None
        style = "obfuscated"
    elif roll < 0.32:
        title, description = fold_diacritics(title), fold_diacritics(description) if description else None
        style = "no_diacritics"
    # its own generator, so adding this step left every other random draw of the dataset unchanged
    misspelling = random.Random(f"misspelt-brand|{shop['seller']['id']}|{title}|{description}")
    if pool["brands"] and misspelling.random() < MISSPELT_BRAND_SHARE["counterfeit" in pool["labels"]]:
        title = misspell_brands(title, pool["brands"], misspelling) or title
        description = misspell_brands(description, pool["brands"], misspelling)
    text = {"title": title, "description": description, "price": shown_price, "style": style}
    return finish_listing(number, pool, shop, text, rng, product=product, used=used)


def finish_listing(
    number: int,
    pool: dict[str, Any],
    shop: dict[str, Any],
    text: dict[str, Any],
    rng: random.Random,
    *,
    product: str,
    used: list[str],
) -> dict[str, Any]:
    """A listing's contract fields and extras around its composed text (title, description, price, style)."""
    platform = shop["platform"]
    marketplace = platform in MARKETPLACES
    if shop["ships_abroad"] and rng.random() < 0.8:
        ships_from = rng.choice(ABROAD)
    elif marketplace or rng.random() < 0.3:
        ships_from = shop["seller"]["location"] or rng.choice(CITIES)
    else:
        ships_from = None
    return {
        "id": f"seed-{number:05d}",
        "platform": platform,
        "url": make_url(platform, number, rng),
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


def post_pool(pool: dict[str, Any], views: dict[str, dict], state: dict[str, Any], rng: random.Random) -> list[dict]:
    """The listings of one ordinary pool, each seller posting from its side's view of the pool."""
    risky = bool(pool["labels"])
    target = RISKY_PER_POOL if risky else CLEAN_PER_POOL
    listings: list[dict[str, Any]] = []
    while len(listings) < target:
        state["seller_index"] += 1
        if risky and state["clean_shops"] and rng.random() < 0.08:
            shop = rng.choice(state["clean_shops"])  # an established shop that also sells a few risky items
            posts = rng.randint(1, 2)
        else:
            shop = make_seller(state["seller_index"], risky, pool, rng)
            posts = min(target - len(listings), max(1, int(rng.expovariate(1 / 4))), 15)
            if not risky:
                state["clean_shops"].append(shop)
        view = views[shop["side"]]
        product = rng.choice(view["products"])
        for _ in range(posts):
            if rng.random() > 0.3:  # 30% of posts are reposts of the seller's previous product
                product = rng.choice(view["products"])
            listings.append(make_listing(0, view, shop, product, rng))
    return listings


# What the paired pools' writer (seed_pairs) borrows from this module.
PAIR_TOOLS: dict[str, Any] = {
    "MARKETPLACES": MARKETPLACES,
    "make_seller": make_seller,
    "compose_marketplace": compose_marketplace,
    "compose_social": compose_social,
    "finish_listing": finish_listing,
    "fold_diacritics": fold_diacritics,
    "format_price_text": format_price_text,
}


def generate(rng: random.Random, usage: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
    """All listings: each pool posted by its own sellers, some sellers mixing clean and risky goods.

    ``usage``, when given, receives every listing's pool strings (by listing id), for the split's tests.
    """
    pools = load_pools()
    sides = seed_split.assign_sides(pools)
    listings: list[dict[str, Any]] = []
    state: dict[str, Any] = {"seller_index": 0, "clean_shops": []}
    for pool in pools:
        views = {side: seed_split.side_view(pool, sides, side) for side in seed_split.SIDES}
        if pool.get("kind") == "paired":
            listings += seed_pairs.post_pairs(pool, views, state, rng, PAIR_TOOLS)
        else:
            listings += post_pool(pool, views, state, rng)
    rng.shuffle(listings)
    for number, listing in enumerate(listings, start=1):
        listing["id"] = f"seed-{number:05d}"
        if listing["url"] and listing["platform"] == "website":
            listing["url"] = make_url("website", number, random.Random(number))
        used = listing.pop("_used")
        if usage is not None:
            usage[listing["id"]] = used
    return listings


def summarise(listings: list[dict[str, Any]]) -> str:
    """Counts for the datasheet."""
    labels = Counter(label for item in listings for label in item["labels"])
    lines = [
        f"total {len(listings)}",
        f"clean {sum(1 for x in listings if not x['labels'])}",
        f"hard negatives {sum(1 for x in listings if x['hard_negative'])}",
        f"multi-label {sum(1 for x in listings if len(x['labels']) > 1)}",
        f"sellers {len({x['seller']['id'] for x in listings})}",
        f"labels {dict(labels)}",
        f"platforms {dict(Counter(x['platform'] for x in listings))}",
        f"styles {dict(Counter(x['style'] for x in listings))}",
        f"goods {dict(sorted(Counter(x['goods'] for x in listings).items()))}",
    ]
    return "\n".join(lines)


def main() -> None:
    """Generate and write the dataset, then print its counts."""
    listings = generate(random.Random(SEED))
    partial = OUTPUT.with_name(f".{OUTPUT.name}.{os.getpid()}")  # renamed when complete: never read half-written
    with partial.open("w", encoding="utf-8", newline="\n") as handle:
        for listing in listings:
            handle.write(json.dumps(listing, ensure_ascii=False, separators=(",", ":")) + "\n")
    os.replace(partial, OUTPUT)
    print(f"wrote {OUTPUT}")
    print(summarise(listings))


if __name__ == "__main__":
    main()
