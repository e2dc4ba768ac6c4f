"""A listing's content as stored: its canonical JSON (the same object always gives the same text) and the hash
that tells its versions apart, in which key order, spacing and Unicode form don't count."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any

from model.folding import nfc


def _nfc_deep(value: Any) -> Any:
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {_nfc_deep(k): _nfc_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc_deep(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: the same object always gives the same text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_sha256(raw: dict[str, Any]) -> str:
    """SHA-256 of a listing's canonical, NFC-normalised JSON: key order, spacing and Unicode form don't count."""
    return canonical_and_sha256(raw)[1]


def canonical_and_sha256(raw: dict[str, Any]) -> tuple[str, str]:
    """A listing's canonical JSON as received (what its snapshot keeps) and its content hash.

    The hash is of the NFC form. When the canonical text is NFC already, every key and string in it is, so it
    is its own NFC form and is hashed as it is: a string that is not NFC keeps what makes it so (a decomposed
    letter, combining marks out of order) inside its quotes, where JSON only escapes ASCII characters that
    combine with nothing.
    """
    text = canonical_json(raw)
    if unicodedata.is_normalized("NFC", text):
        return text, sha256_hex(text)
    return text, sha256_hex(canonical_json(_nfc_deep(raw)))


def sha256_hex(text: str) -> str:
    """SHA-256 of a text's UTF-8 bytes, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
