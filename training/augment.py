"""Counterfeit edits of lawful real titles: training data that is not templates (issue 11, item 7).

From the real, presumed-lawful listings of ``real_edit_files`` (``tiki_fashion.jsonl``, ``shopee_menfashion.jsonl``
in ../shared; never the false-alarm benchmark files), a deterministic set of edited copies, each labelled as what
it became:

- ``price_cut``: the price cut to 10-30% of the original and "hàng mới 100%" added to the title: ``counterfeit``
  when the title names a known brand (``model.brands.find_brands``), clean otherwise (a cheap unbranded item is
  just cheap);
- ``replica``: replica wording added ("rep 1:1", "like auth", "hàng F1", "siêu cấp"): ``counterfeit`` (branded);
- ``evasive_brand``: the brand written evasively (letters to digits, symbols: "N1k3", "A.d.i.d.a.s"): ``counterfeit``
  (branded);
- ``social``: the same title rewritten as a chatty social post without tone marks, with a phone/Zalo number:
  clean (a way of writing is not a risk); ``social_replica``: the same with replica wording: ``counterfeit``;
- ``original``: the real listing beside its counterfeit edits, clean, so that a pair differs only by the edit
  (beside a price cut, the original also says "hàng mới 100%": the pair differs by the price alone).

A brand counts only when it is a fashion, shoe, watch or perfume brand (in fashion files, "iPad" names a bag's
compartment), its exact spelling is written in the title itself (not found through folding: "mặc" is not MAC;
not a near-miss spelling: "Bita's" is not Biti's) and the title is not an accessory *for* the brand ("dây đeo
cho ..."). Edits join
the training split only, never validation or test, with weight ``real_edit_weight``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from model.brands import find_brands, is_misspelt, load_brand_index
from model.errors import DataError
from model.folding import fold_diacritics
from model.jsonl import iter_listings
from model.schema import Listing, Seller
from training.config import TrainConfig
from training.dataset import FALSE_ALARM_FILES, WEIGHT_FIELD, Example, _unit_hash, find_shared_dir

# brands of the goods these files sell: an "iPad" in a bag's title is a compartment, not an Apple product
EDITED_KINDS = ("fashion", "shoes", "watch", "perfume")
COUNTERFEIT_KINDS = ("price_cut", "replica", "evasive_brand", "social_replica")
REPLICA_PHRASES = ("rep 1:1", "like auth", "hàng F1", "siêu cấp", "hàng rep 1:1 siêu cấp", "F1 like auth")
NEW_PHRASE = "hàng mới 100%"
# words that make a branded title an accessory for the brand, not the brand's goods (folded, lower case)
ACCESSORY_WORDS = ("cho ", "danh cho", "tuong thich", "op lung", "day deo", "cap sac", "mieng dan", "bao da", "case ")
DIGITS = {"o": "0", "i": "1", "e": "3", "a": "4", "s": "5", "l": "1", "g": "9", "t": "7"}
SYMBOLS = {"a": "@", "s": "$", "i": "!", "o": "*"}
SOCIAL_OPENINGS = ("e co san", "hang ve nha ca nha oi", "chot don lien tay", "sale sap san", "may ba oi")
SOCIAL_CLOSINGS = ("ib e nha", "inbox gia tot", "ship toan quoc", "ai lay cmt e", "sl co han nha")


def named_brand(title: str) -> str | None:
    """The known fashion, shoe, watch or perfume brand a title names, spelt as written (not via folding or a
    misspelling), unless the title is an accessory for it."""
    folded = fold_diacritics(title).lower()
    lower = title.lower()
    if any(word in folded for word in ACCESSORY_WORDS):
        return None
    kinds = load_brand_index().kinds
    for written, canonical in find_brands(folded):
        if kinds.get(canonical) not in EDITED_KINDS or len(written) < 3 or is_misspelt(written):
            continue
        if re.search(rf"(?<![\w]){re.escape(written)}(?![\w])", lower):
            return canonical
    return None


def evasive_spelling(written: str, rng: random.Random) -> str:
    """The brand as an evading seller writes it: some letters as digits or symbols, or dots between letters."""
    if rng.random() < 0.3:
        return ".".join(written)
    table = DIGITS if rng.random() < 0.6 else {**DIGITS, **SYMBOLS}
    letters = list(written)
    positions = [i for i, ch in enumerate(letters) if ch.lower() in table]
    for i in rng.sample(positions, k=min(len(positions), rng.randint(1, 2))):
        letters[i] = table[letters[i].lower()]
    spelled = "".join(letters)
    return spelled if spelled != written else ".".join(written)


def _with_evasive_brand(title: str, rng: random.Random) -> str | None:
    """The title with its brand spelled evasively, or None when the brand cannot be located as written."""
    folded = fold_diacritics(title)
    for written, _canonical in find_brands(folded.lower()):
        match = re.search(rf"(?<![\w]){re.escape(written)}(?![\w])", title, flags=re.IGNORECASE)
        if match:
            return title[: match.start()] + evasive_spelling(match.group(0), rng) + title[match.end() :]
    return None


def _phone(rng: random.Random) -> str:
    return "09" + "".join(str(rng.randint(0, 9)) for _ in range(8))


def social_rewrite(title: str, price: float | None, rng: random.Random) -> str:
    """The title as a chatty social post: no tone marks, lower case, a price in "k", a Zalo/phone number."""
    text = fold_diacritics(title).lower()
    price_part = f" gia {round(price / 1000)}k" if price else ""
    contact = rng.choice(("zalo", "lh", "sdt/zalo", "goi"))
    return f"{rng.choice(SOCIAL_OPENINGS)} {text}{price_part}, {rng.choice(SOCIAL_CLOSINGS)}. {contact} {_phone(rng)}"


def edit_listing(listing: Listing, kind: str, *, brand: str | None, seed: int) -> Listing | None:
    """One edited copy of a real listing, labelled as what it became; None when the edit does not apply."""
    rng = random.Random(f"{seed}|{listing.id}|{kind}")
    branded = brand is not None
    update: dict[str, Any] = {"id": f"edit-{kind}-{listing.id}", "labels": ["counterfeit"] if branded else []}
    if kind == "price_cut":
        if not listing.price:
            return None
        update["price"] = float(round(listing.price * rng.uniform(0.10, 0.30), -3) or 1000.0)
        update["title"] = f"{listing.title} {NEW_PHRASE}"
    elif kind == "replica" and branded:
        phrase = rng.choice(REPLICA_PHRASES)
        update["title"] = f"{listing.title} {phrase}" if rng.random() < 0.6 else f"[{phrase}] {listing.title}"
    elif kind == "evasive_brand" and branded:
        title = _with_evasive_brand(listing.title, rng)
        if title is None:
            return None
        update |= {"title": title, "brand": None, "description": None}
    elif kind == "social" or (kind == "social_replica" and branded):
        title = f"{listing.title} {rng.choice(REPLICA_PHRASES)}" if kind == "social_replica" else listing.title
        text = social_rewrite(title, listing.price, rng)
        update |= {"title": text, "description": text, "brand": None}
        update["labels"] = update["labels"] if kind == "social_replica" else []
        update["platform"] = rng.choice(("facebook", "zalo", "tiktok"))
    elif kind in ("original", "original_new"):
        update["labels"] = []
        if kind == "original_new":  # the price-cut pair: the same words at the genuine price
            update["title"] = f"{listing.title} {NEW_PHRASE}"
    else:
        return None
    # every edit of one real listing shares a seller id, so calibration folds keep them together
    seller = (listing.seller or Seller()).model_copy(update={"id": f"real-edit:{listing.id}"})
    return listing.model_copy(update={**update, "seller": seller})


def _pairs(ids: Sequence[str], kinds: Sequence[str], seed: int) -> list[tuple[str, str]]:
    """(listing id, edit kind) pairs in a deterministic order, one kind per listing first, then further kinds."""
    order = sorted(ids, key=lambda key: _unit_hash(key, seed))
    return [(key, kinds[(i + turn) % len(kinds)]) for turn in range(len(kinds)) for i, key in enumerate(order)]


def plan_edits(listings: Sequence[Listing], *, count: int, seed: int) -> list[tuple[str, Listing]]:
    """``count`` edited listings, deterministic for a seed: 40% counterfeit edits of branded titles, each beside
    its clean original (40%), so that naming a brand in a real title is not itself the tell; 10% clean social
    rewrites; 10% clean price cuts of unbranded titles."""
    by_id = {listing.id: listing for listing in listings if listing.id}
    brands = {key: named_brand(listing.title) for key, listing in by_id.items()}
    branded = [key for key, brand in brands.items() if brand]
    unbranded = [key for key, brand in brands.items() if not brand]
    wanted = {"counterfeit": count * 2 // 5, "social": count // 10}
    wanted["unbranded_price_cut"] = count - 2 * wanted["counterfeit"] - wanted["social"]
    edits: list[tuple[str, Listing]] = []
    plans = (
        ("counterfeit", _pairs(branded, COUNTERFEIT_KINDS, seed)),
        ("social", _pairs(branded[::2] + unbranded, ("social",), seed + 1)),
        ("unbranded_price_cut", _pairs(unbranded, ("price_cut",), seed + 2)),
    )
    for part, pairs in plans:
        made = 0
        for key, kind in pairs:
            if made >= wanted[part]:
                break
            edited = edit_listing(by_id[key], kind, brand=brands[key], seed=seed)
            if edited is None:
                continue
            edits.append((kind, edited))
            made += 1
            if part == "counterfeit":
                pair_kind = "original_new" if kind == "price_cut" else "original"
                edits.append(("original", edit_listing(by_id[key], pair_kind, brand=brands[key], seed=seed)))
    return edits  # type: ignore[return-value]


def build_real_edits(config: TrainConfig) -> tuple[list[Example], list[Path], dict[str, Any]]:
    """The config's real-title edits as weighted training examples, the files read, and the model card's record."""
    record: dict[str, Any] = {"files": [], "listings": 0, "weight": config.real_edit_weight, "by_edit": {}}
    if not config.real_edit_files or not config.real_edit_count:
        return [], [], record | {"note": "no real-title edits configured"}
    if set(config.real_edit_files) & set(FALSE_ALARM_FILES):  # the config refuses them too: never read them
        raise DataError(f"{sorted(FALSE_ALARM_FILES)} are the false-alarm benchmark and are never edited into training")
    shared = find_shared_dir()
    folder = shared / "data" / "real-listings" if shared else None
    paths = [folder / name for name in config.real_edit_files if folder and (folder / name).is_file()]
    if not paths:
        return [], [], record | {"note": "../shared real listings absent: no real-title edits"}
    listings = [listing for path in paths for listing, _raw in iter_listings(path)]
    edits = plan_edits(listings, count=config.real_edit_count, seed=config.seed)
    extras = {"source": "real_edit", WEIGHT_FIELD: config.real_edit_weight}
    examples = [Example(listing=listing, extras={**extras, "edit": kind}) for kind, listing in edits]
    by_edit: dict[str, dict[str, int]] = {}
    for example in examples:
        counts = by_edit.setdefault(example.extras["edit"], {"counterfeit": 0, "clean": 0})
        counts["counterfeit" if example.listing.labels else "clean"] += 1
    note = f"{len(examples)} edited copies of real titles from {', '.join(p.name for p in paths)} (train only)"
    record |= {"files": [p.name for p in paths], "listings": len(examples), "by_edit": by_edit, "note": note}
    return examples, paths, record
