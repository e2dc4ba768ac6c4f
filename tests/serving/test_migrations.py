"""Data migrations carry stored data over (SQLite and PostgreSQL): 0008 rebuilds the LSH buckets from the stored
signatures with the current bands; 0009 turns ``listings.latest_flagged`` ('|a|b|') into ``listing_flags`` rows."""

from __future__ import annotations

import numpy as np
from sqlalchemy import text

from model.near_duplicates import signature_bands
from serving.settings import get_settings
from serving.storage.db import Database
from serving.storage.migrate import upgrade_database

NOW = "2026-12-06 10:00:00"


def test_buckets_and_flags_are_carried_over(database_url: str) -> None:
    db = Database(get_settings(database_url=database_url))
    upgrade_database(db.engine, "0007")
    signature = np.arange(128, dtype="<u4").tobytes()
    with db.engine.begin() as connection:
        for listing_id, flagged in ((1, "|counterfeit|prohibited|"), (2, "||"), (3, None)):
            connection.execute(
                text(
                    "INSERT INTO listings (id, key, key_hash, title, first_seen, last_seen, latest_flagged) "
                    "VALUES (:id, :key, :hash, 't', :now, :now, :flagged)"
                ),
                {"id": listing_id, "key": f"k{listing_id}", "hash": f"h{listing_id}", "now": NOW, "flagged": flagged},
            )
        connection.execute(
            text(
                "INSERT INTO listing_links (listing_id, operator_id, snapshot_id, signature, full_signature, "
                "seller_key, linked_at) VALUES (1, 1, 1, :sig, :sig, 's', :now), (2, 1, 2, NULL, NULL, 's', :now)"
            ),
            {"sig": signature, "now": NOW},
        )
        connection.execute(text("INSERT INTO lsh_buckets (bucket, listing_id) VALUES (12345, 1), (678, 2)"))
    upgrade_database(db.engine)
    with db.engine.connect() as connection:
        buckets = connection.execute(text("SELECT bucket, listing_id FROM lsh_buckets")).all()
        flags = connection.execute(text("SELECT listing_id, label, position FROM listing_flags ORDER BY 1, 3")).all()
    db.dispose()
    assert sorted(buckets) == sorted((b, 1) for b in signature_bands(signature))  # old bands gone, new ones there
    assert [tuple(row) for row in flags] == [(1, "counterfeit", 0), (1, "prohibited", 1)]
