"""Identifiers in listings: phone numbers, messaging handles, bank accounts, shop pages, seller ids, e-mails.

The one home of contact-detail extraction. Two questions are asked of a listing's text:

- *does it hand out contact details?* ``find_contact_details``: what the scoring features ``has_phone``,
  ``has_messaging_handle`` and ``has_bank_account`` count (through ``model.signals``); a masked number
  ("0912.345.xxx") counts, since handing it out is the signal;
- *whose details are they?* ``extract_identifiers``: exact canonical values (phone numbers in E.164, handles per
  app, account numbers with their bank, seller ids and shop pages per platform, e-mails) that link one operator's
  listings into a case. Only what can be recovered exactly is an identifier: a masked number is not.

Contact details are personal data: they are indexed by a keyed hash (``identifier_hash``, HMAC-SHA256 with a key
the caller passes in), and the values as written stay only in the listing's snapshot.
Every scan is linear in its input: bounded repeats only, or one pass over tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from model.contacts import Identifier, load_contact_data
from model.errors import SoiError
from model.identifier_urls import identifier_from_url
from model.patterns import Substrings
from model.phones import find_phone_numbers
from model.schema import Listing

HANDLE_KINDS = ("zalo", "telegram", "facebook", "tiktok", "instagram", "wechat", "line", "handle")
IDENTIFIER_KINDS = ("phone", "bank_account", "email", "seller", "website", *HANDLE_KINDS)


class IdentifierError(SoiError, ValueError):
    """A value given as an identifier is not one (a malformed phone number, handle, account number...)."""


@dataclass(frozen=True)
class ContactDetails:
    """What ``find_contact_details`` took out of a text (phones keep their mask characters)."""

    phones: tuple[str, ...] = ()
    handles: tuple[tuple[str, str], ...] = ()  # (app as written, or "" for a bare @handle; handle)
    bank_accounts: tuple[str, ...] = ()


# ---------------------------------------------------------------- the scoring features' view (lower-case text)

# Vietnamese mobile numbers: 0 or +84 then 9 digits, written with dots, spaces or dashes, or masked with x.
# Each alternative starts with its first character and checks the one before it by a look-behind over both
# (``(?<![\w.])`` first would be tried at every position): the engine then jumps from "+", "8" or "0" to the next.
_PHONE = re.compile(r"(?:\+(?<![\w.]\+)84|8(?<![\w.]8)4|0(?<![\w.]0))(?:[\s.\-]?[\dx]){9}(?![\w])")
_DIGIT = re.compile(r"\d")
FEATURE_HANDLE_APPS = ("zalo", "zl", "tele", "tg", "fb", "facebook", "ig", "insta", "wechat", "line")
_MORE_HANDLE_APPS = ("telegram", "tiktok", "tik tok", "tt", "instagram", "messenger")
_APP_KIND = {"zalo": "zalo", "zl": "zalo", "tele": "telegram", "tg": "telegram", "telegram": "telegram"}
_APP_KIND |= {"fb": "facebook", "facebook": "facebook", "messenger": "facebook", "ig": "instagram"}
_APP_KIND |= {"insta": "instagram", "instagram": "instagram", "tiktok": "tiktok", "tik tok": "tiktok", "tt": "tiktok"}
_APP_KIND |= {"wechat": "wechat", "line": "line", "": "handle"}


# Every repeat is bounded (the text's spaces are already collapsed, so ``\s{0,3}`` loses nothing), which keeps each
# pattern linear in its input whatever a seller writes.
def _handle_pattern(apps: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(app) for app in sorted(apps, key=len, reverse=True))
    return re.compile(
        rf"(?:(?<!\w)(?P<app>{alternatives})(?:\s{{0,3}}[:：]\s{{0,3}}@?|\s{{0,3}}@)|(?<![\w.@])@)(?P<handle>[a-z0-9_.]{{3,32}})"
    )


def _digits_pattern(words: list[str], *, separated: bool = False) -> re.Pattern[str]:
    """Words then an account number; ``separated``: the word must end before the number ("mb2-60" is a code)."""
    end = r"(?!\w)" if separated else ""
    return re.compile(
        r"(?:" + "|".join(map(re.escape, words)) + rf"){end}\s{{0,3}}[:：]?\s{{0,3}}((?:\d[\s.\-]?){{6,18}}\d)"
    )


_FEATURE_HANDLE = _handle_pattern(FEATURE_HANDLE_APPS)
_ANY_HANDLE_APPS = FEATURE_HANDLE_APPS + _MORE_HANDLE_APPS
_ANY_HANDLE = _handle_pattern(_ANY_HANDLE_APPS)
# What an account number's digits must hold (7 digits or more, single separators between them): searched first,
# since few texts hold one and the account pattern tries all its words at every position.
_ACCOUNT_DIGITS = re.compile(r"\d(?:[\s.\-]?\d){6}")


@cache
def _account_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(account words + digits: the feature; account words or bank names + digits: identifiers; bank names)."""
    data = load_contact_data()
    aliases = [alias for bank in data.banks for alias in bank.aliases]
    names = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(aliases, key=len, reverse=True))) + r")(?!\w)")
    either = _digits_pattern(data.account_words + aliases, separated=True)
    return _digits_pattern(data.account_words), either, names


@cache
def _feature_words() -> Substrings:
    """The strings one of which must be in a text for ``find_contact_details`` to find an account, or a handle."""
    return Substrings.build({"account": load_contact_data().account_words, "handle": ("@", *FEATURE_HANDLE_APPS)})


def _take(pattern: re.Pattern[str], text: str, found: list, keep) -> str:
    """Replace each match by a space in one pass, keeping what ``keep`` makes of it (None: keep nothing)."""

    def replace(match: re.Match[str]) -> str:
        value = keep(match)
        if value is not None:
            found.append(value)
        return " "

    return pattern.sub(replace, text)


def find_contact_details(text: str) -> tuple[str, ContactDetails]:
    """(text without contact details, the details found), for lower-case text: the scoring features' view.

    A cheap scan comes first: most listings hold no bank account or handle, and a regex scan of every position costs
    more than looking for the few words that must be there (all of them in one pass, ``_feature_words``).
    """
    banks: list[str] = []
    phones: list[str] = []
    handles: list[tuple[str, str]] = []
    # one scan of the text as given for both: "@" and the apps hold no space, and what is taken out before the
    # handles are looked for becomes a space, so none of them appears there unless it was in the text as given
    present = _feature_words().present(text)
    if "account" in present:
        text = _take(_account_patterns()[0], text, banks, lambda m: re.sub(r"\D", "", m.group(1)))
    if _DIGIT.search(text):
        text = _take(_PHONE, text, phones, lambda m: re.sub(r"[\s.\-]", "", m.group(0)))
    if "handle" in present:
        text = _take(
            _FEATURE_HANDLE,
            text,
            handles,
            lambda m: None if m.group("handle").isdigit() else (m.group("app") or "", m.group("handle")),
        )
    return text, ContactDetails(phones=tuple(phones), handles=tuple(handles), bank_accounts=tuple(banks))


# ---------------------------------------------------------------- a listing's identifiers

_EMAIL = re.compile(r"(?<![\w.+-])[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,4}")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'`]{1,500}"
    r"|(?<![\w.@/-])(?:[a-z0-9-]{1,63}\.){1,4}[a-z]{2,12}/[^\s<>\"'`]{0,300}"
)


@cache
def _bare_domain() -> re.Pattern[str]:
    tlds = "|".join(sorted(load_contact_data().website_tlds, key=len, reverse=True))
    return re.compile(rf"(?<![\w.@/-])(?:[a-z0-9-]{{1,63}}\.){{1,3}}(?:{tlds})(?![\w.-])")


def prepare_text(text: str) -> str:
    """NFKC (full-width and styled digits become plain ones), entities decoded, lower case."""
    return unicodedata.normalize("NFKC", html.unescape(text)).lower()


def canonical_email(address: str) -> str:
    """Lower case; Gmail ignores dots and a +tag in the name, so they are dropped there."""
    name, _, domain = address.lower().partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        name = name.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{name}@{domain}"


def _text_identifiers(text: str) -> list[Identifier]:
    """Identifiers in prepared text, each taken out before the next kind is looked for."""
    found: list[Identifier] = []
    if "@" in text:
        text = _take(_EMAIL, text, found, lambda m: Identifier("email", canonical_email(m.group()), m.group()))
    if "/" in text or "www." in text:
        text = _take(_URL, text, found, lambda m: identifier_from_url(m.group()))
    if "." in text:
        text = _take(_bare_domain(), text, found, lambda m: identifier_from_url(m.group()))
    _, with_banks, bank_names = _account_patterns()
    if _ACCOUNT_DIGITS.search(text):

        def account(match: re.Match[str]) -> Identifier:
            window = text[max(0, match.start() - 40) : match.end() + 40]
            bank = bank_names.search(window)
            return Identifier("bank_account", re.sub(r"\D", "", match.group(1)), match.group(), _bank_name(bank))

        text = _take(with_banks, text, found, account)
    # always: a number written in words has no digit in it
    phones = find_phone_numbers(text)
    found += [Identifier("phone", phone.e164, text[phone.start : phone.end]) for phone in phones]
    for phone in reversed(phones):
        text = text[: phone.start] + " " + text[phone.end :]
    if _may_hold_handle(text):
        for match in _ANY_HANDLE.finditer(text):
            handle = match.group("handle").strip("._")
            if len(handle) >= 3 and not handle.isdigit():
                found.append(Identifier(_APP_KIND[match.group("app") or ""], handle, match.group()))
    return found


def _may_hold_handle(text: str) -> bool:
    """Whether ``_ANY_HANDLE`` can match: a handle follows "@", or an app's name and a colon (cheap substring
    checks first; most texts have neither, and the pattern's scan of every position costs more)."""
    if "@" in text:
        return True
    return (":" in text or "：" in text) and any(app in text for app in _ANY_HANDLE_APPS)


def _bank_name(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    alias = match.group()
    return next(bank.name for bank in load_contact_data().banks if alias in bank.aliases)


def seller_identifier(platform: str | None, seller_id: str) -> Identifier | None:
    """The seller account: a page or handle on social platforms, a shop id on marketplaces."""
    value = prepare_text(seller_id).strip()
    if not value or _MASKED.search(value):
        return None
    platform = (platform or "").lower()
    if platform in ("facebook", "tiktok", "zalo", "instagram", "telegram"):
        return Identifier(platform, value.lstrip("@"), seller_id)
    return Identifier("seller", f"{platform or 'unknown'}:{value}", seller_id)


def extract_identifiers(listing: Listing) -> tuple[Identifier, ...]:
    """Every identifier of a listing, once each (first written form kept), in a stable order.

    The title and description are read as one text, so a number split between them ("LH 0912 345" … "678") is
    found; the listing's url and seller id add the shop page and the account.
    """
    found: list[Identifier] = []
    if listing.seller and listing.seller.id:
        found += filter(None, [seller_identifier(listing.platform, listing.seller.id)])
    if listing.url:
        found += filter(None, [identifier_from_url(prepare_text(listing.url))])
    text = prepare_text(f"{listing.title}\n{listing.description or ''}")
    found += _text_identifiers(text)
    unique: dict[tuple[str, str], Identifier] = {}
    for identifier in found:
        unique.setdefault((identifier.kind, identifier.value), identifier)
    return tuple(sorted(unique.values(), key=lambda i: (i.kind, i.value)))


# ---------------------------------------------------------------- values given by a user, and their keyed hash

_MASKED = re.compile(r"\dx{2}|x{2}[\s.\-]?\d")  # "09xx.xxx.xxx": a number someone hid, not an account
_HANDLE_VALUE = re.compile(r"[a-z0-9_.\-]{2,64}")
_SELLER_VALUE = re.compile(r"[a-z0-9_\-]{1,32}:\S{1,200}")


def parse_identifier(kind: str, value: str) -> str:
    """The canonical value of an identifier typed by a reviewer; ``IdentifierError`` when it is not one.

    The message says what was expected, never the value (it may be someone's phone number).
    """
    if kind not in IDENTIFIER_KINDS:
        raise IdentifierError(f"unknown identifier kind: expected one of {list(IDENTIFIER_KINDS)}")
    text = prepare_text(value).strip()
    if kind == "phone":
        phones = find_phone_numbers(text)
        rest = text[: phones[0].start] + text[phones[0].end :] if len(phones) == 1 else text
        if len(phones) != 1 or _DIGIT.search(rest):
            raise IdentifierError("expected one Vietnamese phone number, e.g. 0912 345 678 or +84912345678")
        return phones[0].e164
    if kind == "bank_account":
        digits = re.sub(r"[\s.\-]", "", text)
        if not digits.isdigit() or not 6 <= len(digits) <= 19:
            raise IdentifierError("expected an account number of 6 to 19 digits")
        return digits
    if kind == "email":
        if not _EMAIL.fullmatch(text):
            raise IdentifierError("expected an e-mail address")
        return canonical_email(text)
    if kind == "seller":
        if not _SELLER_VALUE.fullmatch(text):
            raise IdentifierError("expected a seller as platform:id, e.g. shopee:123456")
        return text
    if kind == "website":
        found = identifier_from_url(text)
        if found is None or found.kind != "website":
            raise IdentifierError("expected a website's domain, e.g. example.com")
        return found.value
    handle = text.lstrip("@")
    if not _HANDLE_VALUE.fullmatch(handle):
        raise IdentifierError("expected a handle of 2 to 64 letters, digits, '.', '_' or '-'")
    return handle


def identifier_hash(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of ``kind:value`` under ``key``, 128 bits in hex: indexes an identifier without revealing it."""
    if not key:
        raise ValueError("identifier_hash needs a non-empty key")
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]
