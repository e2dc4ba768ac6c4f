"""The generated test world of ``make bench-cases``: operators of risky listings, mixed into real lawful listings.

Each operator sells one or two risky products on 2 to 5 platforms under 1 to 10 seller accounts, 1 to 60
listings, with its own phone numbers, Zalo/Telegram/TikTok/Facebook handles and bank account, and a house text
that it reposts with changes (shop name, price, sentences dropped, added or reordered, tone marks dropped, emoji).
Contact details are written evasively: spaces, dots, dashes, +84, digits as words, keycap emoji, full-width
digits, a number split between title and description. A listing carries at least one thing that links it to
its operator (a contact, a seller account it shares, or the house text), but never all of them. Shared honest
text is mixed in on purpose: shipping boilerplate, a courier hotline on many real listings and some risky ones,
and real listings' descriptions copied into risky posts. Real listings come from ../shared at run time and are
never committed. Pools: ``case_world_pools.json``.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

POOLS_FILE = Path(__file__).with_name("case_world_pools.json")
DIGIT_WORDS = [("không", "khong"), ("một", "mot"), ("hai", "hai"), ("ba", "ba"), ("bốn", "bon"), ("năm", "nam"),
               ("sáu", "sau"), ("bảy", "bay"), ("tám", "tam"), ("chín", "chin")]  # fmt: skip
MOBILE_PREFIXES = ["32", "33", "34", "35", "36", "37", "38", "39", "56", "58", "70", "76", "77", "78", "79", "81", "82",
                   "83", "84", "85", "86", "88", "89", "90", "91", "93", "94", "96", "97", "98"]  # fmt: skip
PLATFORMS = ["facebook", "zalo", "tiktok", "shopee", "lazada", "website"]
BANKS = ["vcb", "Vietcombank", "techcombank", "MB Bank", "ACB", "BIDV", "TPBank", "momo"]
HOTLINE = "028 3812 4567"  # a courier's hotline: on many honest listings and a few risky ones


class Pools(BaseModel):
    """``case_world_pools.json``."""

    description: str
    products: dict[str, list[str]]
    quality: list[str]
    sentences: list[str]
    slogan_words: dict[str, list[str]]
    shop_first: list[str]
    shop_second: list[str]
    cities: list[str]
    boilerplate: list[str]
    emoji: list[str]


@dataclass
class WorldListing:
    """A listing of the world, with its ground truth: the operator (or real seller) it belongs to."""

    raw: dict
    truth: str
    risky: bool
    real: bool


def phone_number(rng: random.Random) -> str:
    """A valid Vietnamese mobile number, 10 digits."""
    return "0" + rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(7))


def write_phone(rng: random.Random, digits: str) -> tuple[str, str]:
    """(in the title, in the description) of one evasive way of writing the number; usually all in the description."""
    style = rng.randrange(10)
    if style == 9:  # split between the end of the title and the start of the description
        return f"LH {digits[:4]} {digits[4:7]}", digits[7:]
    written = [
        digits,
        f"{digits[:4]}.{digits[4:7]}.{digits[7:]}",
        f"{digits[:4]} {digits[4:7]} {digits[7:]}",
        f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
        f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]}",
        " ".join(DIGIT_WORDS[int(d)][rng.randrange(2)] for d in digits),
        " ".join(DIGIT_WORDS[int(d)][0] if i % 3 == 1 else d for i, d in enumerate(digits)),
        "".join(d + "\ufe0f\u20e3" for d in digits),
        "".join(chr(0xFF10 + int(d)) for d in digits),
    ][style]
    return "", rng.choice(["LH ", "Liên hệ: ", "gọi ", "sđt ", "hotline ", "call/zalo "]) + written


def write_handle(rng: random.Random, app: str, name: str) -> str:
    """A handle as sellers write it."""
    forms = {
        "zalo": [f"zalo: {name}", f"zl: {name}", f"zalo.me/{name}", f"add zalo @{name}"],
        "telegram": [f"tele @{name}", f"telegram: {name}", f"t.me/{name}", f"https://t.me/{name}"],
        "tiktok": [f"tiktok.com/@{name}", f"tiktok: {name}", f"https://www.tiktok.com/@{name}"],
        "facebook": [f"fb.com/{name}", f"facebook.com/{name}", f"fb: {name}", f"m.me/{name}"],
    }
    return rng.choice(forms[app])


def write_bank(rng: random.Random, account: str, bank: str) -> str:
    """An account number as sellers write it."""
    spaced = " ".join(account[i : i + 4] for i in range(0, len(account), 4))
    return rng.choice([f"stk {account} {bank}", f"STK: {spaced} - {bank}", f"chuyển khoản {bank}: {account}",
                       f"ck qua {bank} {spaced}", f"số tài khoản {account} ({bank})"])  # fmt: skip


def fold(text: str) -> str:
    """Tone marks dropped, as many posts are written."""
    import unicodedata

    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D")


class _Operator:
    """One operator's accounts, contacts and house text."""

    def __init__(self, index: int, rng: random.Random, pools: Pools) -> None:
        self.truth = f"operator-{index}"
        self.label = rng.choice(sorted(pools.products))
        self.products = rng.sample(pools.products[self.label], k=min(2, len(pools.products[self.label])))
        self.platforms = rng.sample(PLATFORMS, k=rng.randint(2, 5))

        def handle() -> str:
            stem, joint = rng.choice(["kho", "shop", "tiem", "hang", "sale"]), rng.choice(["_", ".", ""])
            return f"{stem}{joint}{rng.randrange(10, 99999)}"

        self.accounts = [
            (p, f"{p[:2]}-{index}-{n}") for n in range(rng.randint(1, 10)) for p in [rng.choice(self.platforms)]
        ]
        self.phones = [phone_number(rng) for _ in range(rng.choice([1, 1, 1, 2]))]
        self.handles = [
            (app, handle()) for app in rng.sample(["zalo", "telegram", "tiktok", "facebook"], k=rng.randint(1, 2))
        ]
        self.bank = ("".join(rng.choice("0123456789") for _ in range(rng.choice([10, 12, 13, 14]))), rng.choice(BANKS))
        words = pools.slogan_words
        self.slogans = [
            f"{rng.choice(words['first']).capitalize()} cho {rng.choice(words['second'])} {rng.choice(words['third'])}"
            for _ in range(2)
        ]
        # its own way of putting things (most of what it writes), and stock phrases many sellers use
        self.own = [
            f"{rng.choice(words['first']).capitalize()} {rng.choice(words['third'])}, {rng.choice(words['second'])} "
            f"{rng.choice(words['first'])} {rng.choice(words['third'])}"
            for _ in range(8)
        ]
        self.house = [self.slogans[0], *rng.sample(self.own, k=3), *rng.sample(pools.sentences, k=rng.randint(2, 4))]
        self.house.append(self.slogans[1])
        self.duplicate_share = rng.uniform(0.3, 0.9)
        self.contact_share = rng.uniform(0.4, 0.9)


def _fill(sentence: str, rng: random.Random, pools: Pools, product: str) -> str:
    price = f"{rng.randrange(50, 5000) * 1000:,}".replace(",", ".") + "đ"
    quality, city = rng.choice(pools.quality), rng.choice(pools.cities)
    days, year, count = rng.choice([3, 7, 15, 30]), rng.choice([2025, 2026]), rng.randrange(10, 500)
    return sentence.format(
        product=product, quality=quality, price=price, city=city, days=days, year=year, count=count, hotline=HOTLINE
    )


def _post(op: _Operator, rng: random.Random, pools: Pools, *, duplicate: bool) -> tuple[str, list[str]]:
    """(title, description sentences): the house text changed a little, or a fresh post about its products."""
    product = rng.choice(op.products)
    if duplicate:
        sentences = [s for s in op.house if rng.random() > 0.12]  # a sentence or so dropped
        if rng.random() < 0.4:
            sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(pools.sentences))
        if rng.random() < 0.3 and len(sentences) > 2:
            i = rng.randrange(len(sentences) - 1)
            sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
    else:
        sentences = rng.sample(op.own, k=rng.randint(2, 4)) + rng.sample(pools.sentences, k=rng.randint(1, 3))
        rng.shuffle(sentences)
    sentences = [_fill(s, rng, pools, product) for s in sentences]
    title = f"{rng.choice(pools.emoji)} {product.capitalize()} {rng.choice(pools.quality)}"
    return title, sentences


def operator_listings(
    op: _Operator, size: int, rng: random.Random, pools: Pools, copy_from: list[str]
) -> list[WorldListing]:
    """The listings of one operator."""
    listings = []
    for n in range(size):
        platform, account = rng.choice(op.accounts)
        duplicate = rng.random() < op.duplicate_share
        title, sentences = _post(op, rng, pools, duplicate=duplicate)
        contacts, title_tail = [], ""
        if rng.random() < op.contact_share or not duplicate:
            kind = rng.choice(["phone", "phone", "handle", "bank"])
            if kind == "phone":
                title_tail, in_text = write_phone(rng, rng.choice(op.phones))
                contacts.append(in_text)
            elif kind == "handle":
                contacts.append(write_handle(rng, *rng.choice(op.handles)))
            else:
                contacts.append(write_bank(rng, *op.bank))
        if rng.random() < 0.3:
            sentences.append(_fill(rng.choice(pools.boilerplate), rng, pools, op.products[0]))
        if rng.random() < 0.1 and copy_from:
            sentences.append(rng.choice(copy_from))  # a real shop's description, copied
        shop = f"{rng.choice(pools.shop_first)} {rng.choice(pools.shop_second)}"
        # a number split from the title goes on at the very start of the description; other contacts at its end
        description = ". ".join([*contacts, *sentences] if title_tail else [*sentences, *contacts])
        if rng.random() < 0.3:
            title, description = fold(title), fold(description)
        seller = (
            {"name": shop} if platform in ("facebook", "zalo") and rng.random() < 0.3 else {"id": account, "name": shop}
        )
        raw = {"id": f"{op.truth}-{n}", "platform": platform, "title": f"{title} {title_tail}".strip(),
               "description": description, "price": rng.randrange(50, 5000) * 1000, "seller": seller}  # fmt: skip
        listings.append(WorldListing(raw=raw, truth=op.truth, risky=True, real=False))
    return listings


def operator_sizes(rng: random.Random, count: int) -> list[int]:
    """1 to 60 listings each, most operators small (log-uniform)."""
    return [max(1, min(60, int(math.exp(rng.uniform(0, math.log(61)))))) for _ in range(count)]


def seller_half(raw: dict) -> int:
    """0 or 1: which half of the real listings (by seller, else by listing) this one falls in."""
    seller = raw.get("seller") or {}
    who = seller.get("id") or seller.get("name") or raw.get("id") or raw.get("title", "")
    return hashlib.sha256(f"{raw.get('platform')}:{who}".encode()).digest()[0] % 2


def real_truth(raw: dict) -> str:
    """A real listing's ground truth: its shop when the file names one, else itself."""
    seller = raw.get("seller") or {}
    who = seller.get("id") or seller.get("name")
    return f"real:{raw.get('platform')}:{who}" if who else f"real-listing:{raw['id']}"


def build_world(shared_dir: Path, *, operators: int, seed: int) -> tuple[list[WorldListing], list[dict]]:
    """(the world, shuffled; the other half of the real listings, to learn the stop-list from)."""
    rng = random.Random(seed)
    pools = Pools.model_validate_json(POOLS_FILE.read_text(encoding="utf-8"))
    real: list[dict] = []
    for name in ("tiki_fashion.jsonl", "shopee_menfashion.jsonl"):
        with (shared_dir / "data" / "real-listings" / name).open(encoding="utf-8") as handle:
            real += [json.loads(line) for line in handle if line.strip()]
    world_real = [r for r in real if seller_half(r) == 1]
    learn_real = [r for r in real if seller_half(r) == 0]
    copy_from = [r["description"] for r in world_real if len(r.get("description") or "") > 80]
    world = [WorldListing(raw=r, truth=real_truth(r), risky=False, real=True) for r in world_real]
    sellers_seen: set[str] = set()
    for listing in world:  # the courier's hotline on honest listings of 150 different shops
        if listing.raw.get("description") and listing.truth not in sellers_seen and len(sellers_seen) < 150:
            sellers_seen.add(listing.truth)
            listing.raw = {**listing.raw, "description": listing.raw["description"] + f" Hotline giao hàng: {HOTLINE}"}
    for index, size in enumerate(operator_sizes(rng, operators)):
        op = _Operator(index, rng, pools)
        listings = operator_listings(op, size, rng, pools, copy_from)
        if index % 10 == 0:  # and on a post of one operator in ten
            listings[0].raw["description"] += f". Hotline giao hàng: {HOTLINE}"
        world += listings
    rng.shuffle(world)
    return world, learn_real
