"""Evidence bundles for the case system: one ZIP per case, signed, reproducible, and checkable offline.

Contents (names sorted; every entry dated 1980-01-01; JSON with sorted keys), under ``soi-vu-viec-<id>/``:

- ``case.json``: the case as ``GET /v1/cases/{id}`` shows it to a reviewer (listings, identifiers, timeline);
- ``listings/<listing id>/snapshot-<snapshot id>.json``: each version of the listing exactly as received (the
  stored bytes, whose SHA-256 Soi recorded at ingest), and ``snapshot-<id>.html``, the same as a printable page
  in Vietnamese;
- ``listings/<listing id>/record.json``: first and last seen, deletion time, each snapshot's SHA-256, every
  score (model version, probabilities, flagged labels, reasons) and every review (reviewer, labels, note, time);
- ``manifest.json``: every file's SHA-256 and size, and the signing key; ``manifest.sig``: its Ed25519 signature.

Ed25519 signatures are deterministic, so the same case state gives the same bytes. A listing's evidence survives
its deletion on the platform and any later edit: snapshots are never deleted or overwritten.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jinja2 import Environment, FileSystemLoader, select_autoescape

from serving import cases
from serving.case_linker import CaseLinker
from serving.storage import cases as store
from serving.storage.db import Database
from serving.storage.models import ReviewRow, ScoreRow, SnapshotRow
from serving.ui.format import format_price_vnd, format_time

FORMAT = "soi-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_PAGES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "ui" / "templates"), autoescape=select_autoescape(["html"])
)
_PAGES.filters.update(price=format_price_vnd, vntime=format_time)


def canonical_bytes(value: Any) -> bytes:
    """Deterministic, readable JSON: sorted keys, two-space indent, UTF-8."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """SHA-256 of bytes, hex."""
    return hashlib.sha256(data).hexdigest()


class EvidenceSigner:
    """Ed25519 signing with the evidence key (``SOI_EVIDENCE_KEY``: base64 of a 32-byte seed)."""

    def __init__(self, secret: str) -> None:
        try:
            seed = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        except ValueError:
            seed = b""
        if len(seed) != 32:  # any other string: its SHA-256 is the seed
            seed = hashlib.sha256(secret.encode("utf-8")).digest()
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = base64.b64encode(self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()

    @property
    def fingerprint(self) -> str:
        """A short, comparable name of the public key: the first 16 hex digits of its SHA-256."""
        return key_fingerprint(self.public_key)

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of ``data``."""
        return self._key.sign(data)


def key_fingerprint(public_key_b64: str) -> str:
    """First 16 hex digits of the SHA-256 of a raw Ed25519 public key (base64)."""
    return sha256_hex(base64.b64decode(public_key_b64))[:16]


def verify_signature(public_key_b64: str, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is the key's Ed25519 signature of ``data``."""
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64)).verify(signature, data)
    except Exception:  # InvalidSignature, or a malformed key or signature: not verified either way
        return False
    return True


@dataclass(frozen=True)
class Bundle:
    """A built evidence bundle: the case it is of and the ZIP's bytes."""

    case_id: int
    data: bytes


def _score(row: ScoreRow) -> dict[str, Any]:
    return {
        "score_id": row.id,
        "snapshot_id": row.snapshot_id,
        "model_version": row.model_version,
        "risk": row.risk,
        "priority": row.priority,
        "probabilities": row.probabilities,
        "flagged": row.flagged,
        "reasons": row.reasons,
        "scored_at": row.created_at.isoformat(),
    }


def _review(row: ReviewRow) -> dict[str, Any]:
    return {
        "review_id": row.id,
        "snapshot_id": row.snapshot_id,
        "reviewer": row.reviewer,
        "labels": row.labels,
        "note": row.note,
        "reviewed_at": row.created_at.isoformat(),
    }


def _listing_files(
    listing: Any, snapshots: list[SnapshotRow], scores: list[ScoreRow], reviews: list[ReviewRow]
) -> dict[str, bytes]:
    """The files of one listing: each snapshot as received and as a page, and its record."""
    folder = f"listings/{listing.listing_id}"
    files: dict[str, bytes] = {}
    entries = []
    for snapshot in snapshots:
        raw = snapshot.raw_json.encode("utf-8")
        content = json.loads(snapshot.raw_json)
        page = (
            _PAGES.get_template("evidence_snapshot.html")
            .render(
                listing=listing,
                snapshot=snapshot,
                content=content,
                seller=content.get("seller") or {},
                scores=[s for s in scores if s.snapshot_id == snapshot.id],
                reviews=[r for r in reviews if r.snapshot_id == snapshot.id],
            )
            .encode("utf-8")
        )
        files[f"{folder}/snapshot-{snapshot.id}.json"] = raw
        files[f"{folder}/snapshot-{snapshot.id}.html"] = page
        entries.append(
            {
                "snapshot_id": snapshot.id,
                "content_sha256": snapshot.sha256,
                "file_sha256": sha256_hex(raw),
                "first_seen": snapshot.first_seen.isoformat(),
                "last_seen": snapshot.last_seen.isoformat(),
            }
        )
    record = {
        "listing_id": listing.listing_id,
        "external_id": listing.external_id,
        "platform": listing.platform,
        "url": listing.url,
        "first_seen": listing.first_seen.isoformat(),
        "last_seen": listing.last_seen.isoformat(),
        "deleted_at": listing.deleted_at.isoformat() if listing.deleted_at else None,
        "snapshots": entries,
        "scores": [_score(s) for s in scores],
        "reviews": [_review(r) for r in reviews],
    }
    files[f"{folder}/record.json"] = canonical_bytes(record)
    return files


def write_zip(files: dict[str, bytes]) -> bytes:
    """A ZIP of ``files`` whose bytes depend on nothing but the files: sorted names, fixed dates and modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


def sign_files(case_id: int, files: dict[str, bytes], signer: EvidenceSigner) -> dict[str, bytes]:
    """``files`` plus the manifest of their SHA-256s and its signature."""
    manifest = {
        "format": FORMAT,
        "case_id": case_id,
        "files": [
            {"name": name, "sha256": sha256_hex(data), "bytes": len(data)} for name, data in sorted(files.items())
        ],
        "signature": {
            "algorithm": "Ed25519",
            "public_key": signer.public_key,
            "key_fingerprint": signer.fingerprint,
            "signed_file": MANIFEST,
            "signature_file": SIGNATURE,
        },
    }
    manifest_bytes = canonical_bytes(manifest)
    signature = base64.b64encode(signer.sign(manifest_bytes)) + b"\n"
    return {**files, MANIFEST: manifest_bytes, SIGNATURE: signature}


def build_case_bundle(db: Database, linker: CaseLinker, signer: EvidenceSigner, case_id: int) -> Bundle | None:
    """The evidence bundle of a case (None when there is no such case)."""
    detail = cases.load_case(db, linker, case_id, show_identifiers=True)
    if detail is None:
        return None
    files: dict[str, bytes] = {"case.json": canonical_bytes(detail.model_dump(mode="json"))}
    with db.read() as session:
        ids = [listing.listing_id for listing in detail.listings]
        snapshots = store.rows_of_listings(session, SnapshotRow, ids)
        scores = store.rows_of_listings(session, ScoreRow, ids)
        reviews = store.rows_of_listings(session, ReviewRow, ids)
    for listing in detail.listings:
        own = listing.listing_id
        files |= _listing_files(
            listing,
            [s for s in snapshots if s.listing_id == own],
            [s for s in scores if s.listing_id == own],
            [r for r in reviews if r.listing_id == own],
        )
    folder = f"soi-vu-viec-{detail.case_id}/"
    signed = sign_files(detail.case_id, files, signer)
    return Bundle(detail.case_id, write_zip({folder + name: data for name, data in signed.items()}))
