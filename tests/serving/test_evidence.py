"""Evidence bundles: reproducible bytes, and ``verify-evidence`` naming exactly the file that was altered, dropped
or added, or a tampered manifest or signature; the command's exit status."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from serving.__main__ import main
from serving.evidence import EvidenceSigner, sign_files, write_zip
from serving.evidence_verify import verify_bundle

FILES = {
    "case.json": b'{"case_id": 7}\n',
    "listings/1/snapshot-1.json": '{"title":"Bình khí cười"}'.encode(),
    "listings/1/snapshot-1.html": "<p>Bình khí cười</p>".encode(),
    "listings/1/record.json": b'{"listing_id": 1}\n',
}


def bundle(signer: EvidenceSigner | None = None) -> bytes:
    signed = sign_files(7, FILES, signer or EvidenceSigner("test-evidence-key"))
    return write_zip({f"soi-vu-viec-7/{name}": data for name, data in signed.items()})


def rewrite(data: bytes, change) -> bytes:
    """The same ZIP with ``change(name, bytes)`` applied to each entry (None drops it)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    files = {}
    for name in source.namelist():
        new = change(name, source.read(name))
        if new is not None:
            files[name] = new
    return write_zip(files)


def test_a_bundle_is_reproducible_and_verifies() -> None:
    assert bundle() == bundle()
    result = verify_bundle(bundle())
    assert result.ok and result.files_checked == len(FILES)


@pytest.mark.parametrize("target", sorted(FILES))
@pytest.mark.parametrize("position", [0, -1])
def test_one_altered_byte_in_any_file_is_named(target: str, position: int) -> None:
    def flip(name: str, data: bytes) -> bytes:
        if name != f"soi-vu-viec-7/{target}":
            return data
        changed = bytearray(data)
        changed[position] ^= 0x01
        return bytes(changed)

    result = verify_bundle(rewrite(bundle(), flip))
    assert not result.ok and result.altered == [target] and result.signature_ok
    assert f"ALTERED: {target}" in "\n".join(result.report())


@pytest.mark.parametrize("target", sorted(FILES))
def test_a_dropped_file_is_named(target: str) -> None:
    result = verify_bundle(rewrite(bundle(), lambda name, data: None if name.endswith(target) else data))
    assert not result.ok and result.dropped == [target] and not result.altered


def test_an_added_file_a_tampered_manifest_or_signature_and_another_key() -> None:
    def add(name: str, data: bytes) -> bytes:
        return data

    original = zipfile.ZipFile(io.BytesIO(bundle()))
    files = {name: original.read(name) for name in original.namelist()}
    added = verify_bundle(write_zip({**files, "soi-vu-viec-7/listings/1/extra.txt": b"x"}))
    assert not added.ok and added.added == ["listings/1/extra.txt"]
    manifest = "soi-vu-viec-7/manifest.json"
    forged = files[manifest].replace(b'"case_id": 7', b'"case_id": 8')
    tampered = verify_bundle(write_zip({**files, manifest: forged}))
    assert not tampered.ok and not tampered.signature_ok
    assert any("manifest.json" in line for line in tampered.report())
    other_key = verify_bundle(
        bundle(EvidenceSigner("someone-else")), trusted_public_key=EvidenceSigner("test-evidence-key").public_key
    )
    assert other_key.signature_ok and other_key.key_trusted is False and not other_key.ok
    assert not verify_bundle(b"not a zip").ok


def test_the_command_names_the_altered_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.zip"
    good.write_bytes(bundle())
    assert main(["verify-evidence", str(good)]) == 0
    assert "OK: 4 files match the manifest" in capsys.readouterr().out
    bad = tmp_path / "bad.zip"
    bad.write_bytes(rewrite(bundle(), lambda name, data: data + b" " if name.endswith("record.json") else data))
    assert main(["verify-evidence", str(bad)]) == 1
    assert "ALTERED: listings/1/record.json" in capsys.readouterr().out
