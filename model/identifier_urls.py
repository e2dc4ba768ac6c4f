"""Which account a link points to: a Telegram, Zalo, Facebook, TikTok or Instagram handle, a marketplace shop,
or a seller's own website. Part of ``model.identifiers``, kept apart for its size.

Links to a platform's own pages (groups, search, a product without its shop) identify nobody and give None.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from model.contacts import Identifier, load_contact_data
from model.phones import find_phone_numbers

_SCHEME = re.compile(r"^(?:https?://)?(?:www\.|m\.|web\.|mobile\.|vn\.)?")
_SHOPEE_ITEM = re.compile(r"-i\.(\d{1,15})\.\d{1,20}$")
_NAME = re.compile(r"[a-z0-9_.\-]{2,64}")
# first path segments that are a platform's own pages, not an account
_FACEBOOK_PAGES = frozenset(
    {"groups", "marketplace", "watch", "share", "sharer", "sharer.php", "photo", "photo.php", "photos", "events",
     "story.php", "permalink.php", "hashtag", "login", "people", "reel", "reels", "stories", "help", "policies",
     "business", "ads", "gaming", "home.php", "search", "video", "videos", "l.php"}
)  # fmt: skip
_INSTAGRAM_PAGES = frozenset({"p", "reel", "reels", "stories", "explore", "accounts", "tv"})
_SHOPEE_PAGES = frozenset(
    {"search", "mall", "cart", "daily_discover", "user", "buyer", "flash_sale", "m", "universal-link"}
)


def _handle(kind: str, name: str, written: str) -> Identifier | None:
    name = name.lstrip("@").strip("._")
    if not _NAME.fullmatch(name):
        return None
    return Identifier(kind, name, written)


def _registrable(host: str) -> str:
    """The domain a website is registered as: the last two labels, three under .com.vn and its kin."""
    labels = host.split(".")
    if len(labels) >= 3 and labels[-1] == "vn" and labels[-2] in ("com", "net", "org", "edu", "gov", "biz", "info"):
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _marketplace(host: str, segments: list[str], written: str) -> Identifier | None:
    """A shop on Shopee, Lazada or Tiki, from its shop page or a product link that names the shop."""
    if host == "shopee.vn" and segments:
        if segments[0] in ("product", "shop") and len(segments) >= 2 and segments[1].isdigit():
            return Identifier("seller", f"shopee:{segments[1]}", written)
        item = _SHOPEE_ITEM.search(segments[0])
        if item:
            return Identifier("seller", f"shopee:{item.group(1)}", written)
        if len(segments) == 1 and segments[0] not in _SHOPEE_PAGES and _NAME.fullmatch(segments[0]):
            return Identifier("seller", f"shopee:{segments[0]}", written)
    if host == "lazada.vn" and len(segments) >= 2 and segments[0] == "shop" and _NAME.fullmatch(segments[1]):
        return Identifier("seller", f"lazada:{segments[1]}", written)
    if host == "tiki.vn" and len(segments) >= 2 and segments[0] == "cua-hang" and _NAME.fullmatch(segments[1]):
        return Identifier("seller", f"tiki:{segments[1]}", written)
    return None


def identifier_from_url(written: str) -> Identifier | None:
    """The account or website a link (lower case, with or without scheme) points to, or None.

    Returns ``telegram``/``zalo``/``facebook``/``tiktok``/``instagram``
    handles, ``phone`` for zalo.me/<number>, ``seller`` for marketplace shops, ``website`` for anything else.
    """
    url = written.rstrip(".,;:!?)]}")
    parts = urlsplit("http://" + _SCHEME.sub("", url, count=1))
    host = (parts.hostname or "").strip(".")
    segments = [segment for segment in parts.path.split("/") if segment]
    first = segments[0] if segments else ""
    if not host or "." not in host:
        return None
    if host in ("t.me", "telegram.me") and first and first not in ("s", "joinchat") and not first.startswith("+"):
        return _handle("telegram", first, written)
    if host == "zalo.me" and first and first != "g":
        phones = find_phone_numbers(first)
        return Identifier("phone", phones[0].e164, written) if phones else _handle("zalo", first, written)
    if host in ("facebook.com", "fb.com", "fb.me", "m.me"):
        if first == "profile.php":
            profile = parse_qs(parts.query).get("id", [""])[0]
            return _handle("facebook", profile, written) if profile.isdigit() else None
        if first == "pages" and len(segments) >= 2:
            return _handle("facebook", segments[1], written)
        return _handle("facebook", first, written) if first and first not in _FACEBOOK_PAGES else None
    if host == "tiktok.com":
        return _handle("tiktok", first, written) if first.startswith("@") else None
    if host == "instagram.com":
        return _handle("instagram", first, written) if first and first not in _INSTAGRAM_PAGES else None
    if host in ("shopee.vn", "lazada.vn", "tiki.vn"):
        return _marketplace(host, segments, written)
    domain = _registrable(host)
    data = load_contact_data()
    if domain in data.platform_domains or domain.rsplit(".", 1)[-1] not in data.website_tlds:
        return None
    return Identifier("website", domain, written)
