"""Case commands of ``python -m serving``: ``verify-evidence`` (check a bundle), ``evidence-key`` (the public key
that signs bundles), ``secret`` (a new random secret for SOI_IDENTIFIER_KEY / SOI_EVIDENCE_KEY) and ``link``
(link listings stored before linking existed) and ``deletion-stats`` (whether deletion speed should feed the model)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import select

from model.schema import Listing
from serving.case_setup import build_linker
from serving.evidence import EvidenceSigner
from serving.evidence_verify import verify_file
from serving.secrets import new_token, resolve_secret
from serving.settings import get_settings
from serving.storage.case_tables import ListingLinkRow
from serving.storage.cases import reviewed_deletions
from serving.storage.db import Database
from serving.storage.migrate import upgrade_database
from serving.storage.models import ListingRow, SnapshotRow

LINK_BATCH = 256


def run_verify_evidence(args: argparse.Namespace) -> int:
    """Check a bundle; print one line per finding; exit 0 when intact, 1 when anything was altered."""
    result = verify_file(Path(args.bundle), trusted_public_key=args.public_key)
    for line in result.report():
        print(line)
    if result.key_trusted is None and result.signature_ok:
        print("compare the key fingerprint with `python -m serving evidence-key` on the service (or pass --public-key)")
    return 0 if result.ok else 1


def run_evidence_key(_args: argparse.Namespace) -> int:
    """Print the public key that signs this service's bundles, and its fingerprint."""
    signer = EvidenceSigner(resolve_secret(get_settings(), "evidence_key"))
    print(json.dumps({"algorithm": "Ed25519", "public_key": signer.public_key, "key_fingerprint": signer.fingerprint}))
    return 0


def run_secret(_args: argparse.Namespace) -> int:
    """Print a new random secret (256 bits)."""
    print(new_token())
    return 0


def run_link(args: argparse.Namespace) -> int:
    """Link every stored listing that is not linked yet (their latest snapshots), in batches."""
    settings = get_settings()
    database = Database(settings)
    upgrade_database(database.engine)
    linker = build_linker(settings)
    after, linked = 0, 0
    while True:
        with database.read() as session:
            rows = session.execute(
                select(ListingRow.id, SnapshotRow.raw_json)
                .join(SnapshotRow, SnapshotRow.id == ListingRow.latest_snapshot_id)
                .outerjoin(ListingLinkRow, ListingLinkRow.listing_id == ListingRow.id)
                .where(ListingRow.id > after, ListingLinkRow.listing_id.is_(None))
                .order_by(ListingRow.id)
                .limit(LINK_BATCH)
            ).all()
        if not rows:
            break
        listings = [Listing.model_validate(json.loads(raw)) for _id, raw in rows]
        fingerprints = linker.fingerprint(listings)
        with database.write() as session:
            linker.link(session, [listing_id for listing_id, _raw in rows], fingerprints)
        linked += len(rows)
        after = rows[-1][0]
    database.dispose()
    print(f"linked {linked} listings", file=sys.stderr)
    return 0


MIN_REVIEWED = 200  # reviewed listings each group needs before deletion speed can be judged
MIN_LIFT = 0.10  # how much more often fast-deleted listings must be risky to be worth a feature


def run_deletion_stats(_args: argparse.Namespace) -> int:
    """Is a listing deleted within 48 h more often risky, by reviewers' labels? Prints the counts and the verdict."""
    database = Database(get_settings())
    upgrade_database(database.engine)
    with database.read() as session:
        counts = reviewed_deletions(session)
    database.dispose()
    shares = {group: (risky / (risky + clean) if risky + clean else None) for group, (risky, clean) in counts.items()}
    enough = all(sum(counts[group]) >= MIN_REVIEWED for group in counts)
    lift = shares["fast"] - shares["other"] if enough else None  # type: ignore[operator]
    if not enough:
        verdict = f"not yet: each group needs {MIN_REVIEWED} reviewed listings to judge; keep it out of the model"
    elif lift >= MIN_LIFT:
        verdict = f"feed it: fast-deleted listings are risky {lift:.0%} more often (add it as a re-scoring feature)"
    else:
        verdict = f"keep it out: fast deletion adds {lift:.0%} to the risky share, under {MIN_LIFT:.0%}"
    print(json.dumps({"reviewed": counts, "risky_share": shares, "verdict": verdict}, ensure_ascii=False))
    return 0


def add_case_commands(commands: argparse._SubParsersAction) -> None:
    """Register the case commands on ``python -m serving``'s sub-parsers."""
    verify = commands.add_parser("verify-evidence", help="check a case's evidence bundle: says what was altered")
    verify.add_argument("bundle", help="the ZIP from GET /v1/cases/{id}/evidence")
    verify.add_argument("--public-key", default=None, help="the service's public key (base64), to trust no other")
    verify.set_defaults(func=run_verify_evidence)
    commands.add_parser("evidence-key", help="the public key that signs evidence bundles").set_defaults(
        func=run_evidence_key
    )
    commands.add_parser(
        "secret", help="print a new random secret for SOI_SESSION_SECRET, SOI_*_KEY settings"
    ).set_defaults(func=run_secret)
    commands.add_parser("link", help="link stored listings not linked yet into cases").set_defaults(func=run_link)
    commands.add_parser("deletion-stats", help="is fast deletion a sign of risk, by reviewers' labels?").set_defaults(
        func=run_deletion_stats
    )
