#!/usr/bin/env python3
"""Stdlib validator for data/blind_counterfeit/listings.jsonl (blind evaluation set)."""

import collections
import json
import os
import sys
import unicodedata

PATH = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "listings.jsonl")
PLATFORMS = {"shopee", "lazada", "tiki", "tiktok", "facebook", "zalo", "website"}
LABELS = {"counterfeit", "smuggled", "prohibited"}
STYLES = {"marketplace", "social", "no_diacritics", "teencode"}
KIND_LABELS = {  # allowed label sets per kind
    "price_only": [["counterfeit"], ["counterfeit", "smuggled"]],
    "replica_wording": [["counterfeit"], ["counterfeit", "smuggled"]],
    "evasive_brand": [["counterfeit"], ["counterfeit", "smuggled"]],
    "ip_piracy": [["counterfeit"], ["counterfeit", "smuggled"]],
    "fake_medicine_food_cosmetics": [["counterfeit"], ["counterfeit", "smuggled"]],
    "social": [["counterfeit"], ["counterfeit", "smuggled"]],
    "used_genuine": [[]],
    "sale_outlet": [[]],
    "official_replica_jersey": [[]],
    "licensed_reseller": [[]],
    "genuine_mini": [[]],
    "honest_nonbrand": [[]],
    "official_shop": [[]],
    "smuggled": [["smuggled"]],
    "prohibited": [["prohibited"]],
}
TOP = [
    "id",
    "platform",
    "url",
    "title",
    "description",
    "price",
    "category",
    "brand",
    "seller",
    "ships_from",
    "sold_count",
    "image_count",
    "labels",
    "kind",
    "style",
]
SELLER = {
    "id": (str,),
    "name": (str,),
    "account_age_days": (int,),
    "follower_count": (int,),
    "rating": (float, int),
    "listing_count": (int,),
    "is_official": (bool,),
    "location": (str,),
}
MIN = {"total": 340, "counterfeit": 170, "clean": 158, "smuggled_only": 6, "prohibited": 6}

errors = []


def err(i, msg):
    errors.append(f"line {i}: {msg}")


def opt(v, types):
    return v is None or (isinstance(v, types) and not (isinstance(v, bool) and bool not in types))


def all_strings(o):
    if isinstance(o, str):
        yield o
    elif isinstance(o, dict):
        for v in o.values():
            yield from all_strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from all_strings(v)


recs = []
with open(PATH, encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        if not line.strip():
            err(i, "blank line")
            continue
        if unicodedata.normalize("NFC", line) != line:
            err(i, "line not NFC")
        try:
            r = json.loads(line)
        except Exception as e:
            err(i, f"bad JSON: {e}")
            continue
        recs.append((i, r))
        if list(r.keys()) != TOP:
            err(i, f"keys/order mismatch: {list(r.keys())}")
        for s in all_strings(r):
            if unicodedata.normalize("NFC", s) != s:
                err(i, "string not NFC")
        if not (isinstance(r.get("id"), str) and r["id"].startswith("blind-")):
            err(i, "bad id")
        if r.get("platform") not in PLATFORMS:
            err(i, f"bad platform {r.get('platform')}")
        if not opt(r.get("url"), (str,)):
            err(i, "bad url")
        if not (isinstance(r.get("title"), str) and r["title"].strip()):
            err(i, "empty title")
        if not opt(r.get("description"), (str,)):
            err(i, "bad description")
        p = r.get("price")
        if not (p is None or (type(p) is int and p > 0)):
            err(i, f"bad price {p!r}")
        for k in ("category", "brand", "ships_from"):
            if not opt(r.get(k), (str,)):
                err(i, f"bad {k}")
        for k in ("sold_count", "image_count"):
            v = r.get(k)
            if not (v is None or (type(v) is int and v >= 0)):
                err(i, f"bad {k}")
        s = r.get("seller")
        if not isinstance(s, dict) or set(s) != set(SELLER):
            err(i, "bad seller keys")
        else:
            for k, t in SELLER.items():
                v = s[k]
                if v is None:
                    continue
                if bool in t:
                    if type(v) is not bool:
                        err(i, f"bad seller.{k}")
                elif type(v) is bool or not isinstance(v, t):
                    err(i, f"bad seller.{k}")
            if isinstance(s.get("rating"), (int, float)) and not 0 <= s["rating"] <= 5:
                err(i, "rating out of range")
        labs = r.get("labels")
        if not (isinstance(labs, list) and all(label in LABELS for label in labs) and len(set(labs)) == len(labs)):
            err(i, f"bad labels {labs}")
        if r.get("kind") not in KIND_LABELS:
            err(i, f"bad kind {r.get('kind')}")
        elif sorted(labs or []) not in [sorted(x) for x in KIND_LABELS[r["kind"]]]:
            err(i, f"labels {labs} inconsistent with kind {r['kind']}")
        if r.get("style") not in STYLES:
            err(i, f"bad style {r.get('style')}")

ids = collections.Counter(r["id"] for _, r in recs)
titles = collections.Counter(r["title"].strip().casefold() for _, r in recs)
for k, c in ids.items():
    if c > 1:
        errors.append(f"duplicate id {k}")
for k, c in titles.items():
    if c > 1:
        errors.append(f"duplicate title {k!r}")

rs = [r for _, r in recs]
lab = collections.Counter("+".join(r["labels"]) or "(clean)" for r in rs)
n_cf = sum("counterfeit" in r["labels"] for r in rs)
n_clean = sum(not r["labels"] for r in rs)
n_smug_only = sum(r["labels"] == ["smuggled"] for r in rs)
n_proh = sum("prohibited" in r["labels"] for r in rs)
for name, val in (
    ("total", len(rs)),
    ("counterfeit", n_cf),
    ("clean", n_clean),
    ("smuggled_only", n_smug_only),
    ("prohibited", n_proh),
):
    if val < MIN[name]:
        errors.append(f"count {name}={val} < {MIN[name]}")


def show(title, c):
    print(title)
    for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {k:32s} {v}")


print(f"records: {len(rs)}")
show("label sets:", lab)
print(f"  counterfeit (any): {n_cf}; clean: {n_clean}; smuggled-only: {n_smug_only}; prohibited: {n_proh}")
show("kind:", collections.Counter(r["kind"] for r in rs))
show("platform:", collections.Counter(r["platform"] for r in rs))
show("style:", collections.Counter(r["style"] for r in rs))
print(
    f"price null: {sum(r['price'] is None for r in rs)}; description null: {sum(r['description'] is None for r in rs)}"
)
if errors:
    print(f"\nFAILED: {len(errors)} problem(s)")
    for e in errors[:200]:
        print("  " + e)
    sys.exit(1)
print("\nOK: all checks passed")
