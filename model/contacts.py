"""The data contact details are read with (``contacts.json``: bank names, account words, digit words, platform
domains, website TLDs) and the ``Identifier`` type, shared by ``model.identifiers``, ``model.phones`` and
``model.identifier_urls``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field

CONTACTS_FILE = Path(__file__).with_name("contacts.json")


class Bank(BaseModel):
    """A bank or wallet and the ways sellers write its name."""

    name: str
    aliases: list[str] = Field(min_length=1)


class ContactData(BaseModel):
    """``contacts.json``: bank names, words that announce an account, digit words, platform domains, TLDs."""

    banks: list[Bank]
    account_words: list[str] = Field(min_length=1)
    digit_words: dict[str, str]
    platform_domains: list[str]
    website_tlds: list[str]


@cache
def load_contact_data() -> ContactData:
    """The validated contents of ``model/contacts.json``."""
    return ContactData.model_validate_json(CONTACTS_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Identifier:
    """One identifier of a listing: ``kind`` and canonical ``value`` (what is hashed), as ``written``."""

    kind: str
    value: str
    written: str
    detail: str | None = None  # the bank of an account number, when written
