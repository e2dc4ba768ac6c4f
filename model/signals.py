"""Contact and payment details in listing text, extracted as structured signals instead of text tokens.

Sellers of risky goods move buyers off the platform: a phone number, a Zalo or Telegram handle, a bank
account. Those are strong signals but useless as words (every number is different), so they are taken out
of the text and counted. The patterns live in ``model.identifiers``, the one home of contact details, which
also reads them as exact identifiers for linking listings into cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model.identifiers import find_contact_details


@dataclass(frozen=True)
class TextSignals:
    """What was taken out of a listing's text."""

    phones: tuple[str, ...] = field(default_factory=tuple)
    handles: tuple[str, ...] = field(default_factory=tuple)
    bank_accounts: tuple[str, ...] = field(default_factory=tuple)


def extract_signals(text: str) -> tuple[str, TextSignals]:
    """(text without contact details, the details found), for lower-case text."""
    text, found = find_contact_details(text)
    if not (found.phones or found.handles or found.bank_accounts):
        return text, _NO_SIGNALS  # most texts hand out none: one shared (immutable) answer
    handles = tuple(handle for _app, handle in found.handles)
    return text, TextSignals(phones=found.phones, handles=handles, bank_accounts=found.bank_accounts)


_NO_SIGNALS = TextSignals()
