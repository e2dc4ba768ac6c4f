"""Checking an evidence bundle offline: ``python -m serving verify-evidence bundle.zip`` (``make verify-evidence``).

It says exactly what is wrong: the manifest's signature, and each file that was altered (its SHA-256 differs
from the manifest's), dropped (in the manifest, not in the ZIP) or added (in the ZIP, not in the manifest).
The signature proves the manifest came from the holder of the evidence key; compare the key's fingerprint
with the one the service publishes (``python -m serving evidence-key``), or pass ``--public-key``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from serving.evidence import MANIFEST, SIGNATURE, key_fingerprint, sha256_hex, verify_signature


@dataclass
class Verification:
    """What checking a bundle found."""

    signature_ok: bool = False
    key_fingerprint: str | None = None
    key_trusted: bool | None = None  # None: no trusted key was given to compare with
    altered: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    files_checked: int = 0

    @property
    def ok(self) -> bool:
        """Intact: signed, every file as listed, nothing missing or added, and the key trusted if one was given."""
        clean = not (self.altered or self.dropped or self.added or self.problems)
        return self.signature_ok and clean and self.key_trusted is not False

    def report(self) -> list[str]:
        """Lines for a person, one finding each."""
        lines = [f"ALTERED: {name} (its SHA-256 differs from the manifest's)" for name in self.altered]
        lines += [f"DROPPED: {name} (listed in the manifest, missing from the bundle)" for name in self.dropped]
        lines += [f"ADDED: {name} (in the bundle, not in the manifest)" for name in self.added]
        lines += [f"PROBLEM: {problem}" for problem in self.problems]
        if not self.signature_ok:
            lines.append(f"ALTERED: {MANIFEST} or {SIGNATURE} (the signature does not match the manifest)")
        if self.key_trusted is False:
            lines.append(f"UNTRUSTED KEY: signed by key {self.key_fingerprint}, not by the key given")
        if self.ok:
            lines.append(f"OK: {self.files_checked} files match the manifest, signed by key {self.key_fingerprint}")
        return lines


def _entries(archive: zipfile.ZipFile) -> tuple[str, dict[str, bytes]]:
    """(the bundle's folder prefix, its files by name inside that folder)."""
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    prefix = next((n[: -len(MANIFEST)] for n in names if n.endswith("/" + MANIFEST) or n == MANIFEST), "")
    files = {}
    for name in names:
        inside = name[len(prefix) :] if name.startswith(prefix) else name
        files[inside] = archive.read(name)
    return prefix, files


def verify_bundle(data: bytes, *, trusted_public_key: str | None = None) -> Verification:
    """Check a bundle's bytes against its signed manifest (and the trusted key, when given)."""
    result = Verification()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _prefix, files = _entries(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        result.problems.append(f"not a readable ZIP file ({exc})")
        return result
    if MANIFEST not in files or SIGNATURE not in files:
        result.problems.append(f"no {MANIFEST} and {SIGNATURE}: not a Soi evidence bundle, or they were dropped")
        return result
    try:
        manifest = json.loads(files[MANIFEST])
        public_key = manifest["signature"]["public_key"]
        listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
        signature = base64.b64decode(files[SIGNATURE].strip(), validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        result.problems.append(f"{MANIFEST} or {SIGNATURE} cannot be read ({type(exc).__name__}): altered")
        return result
    result.key_fingerprint = key_fingerprint(public_key)
    result.signature_ok = verify_signature(public_key, signature, files[MANIFEST])
    if trusted_public_key is not None:
        result.key_trusted = key_fingerprint(trusted_public_key) == result.key_fingerprint
    present = {name for name in files if name not in (MANIFEST, SIGNATURE)}
    result.altered = sorted(name for name in listed.keys() & present if sha256_hex(files[name]) != listed[name])
    result.dropped = sorted(listed.keys() - present)
    result.added = sorted(present - listed.keys())
    result.files_checked = len(listed)
    return result


def verify_file(path: Path, *, trusted_public_key: str | None = None) -> Verification:
    """``verify_bundle`` of a file on disk."""
    return verify_bundle(Path(path).read_bytes(), trusted_public_key=trusted_public_key)
