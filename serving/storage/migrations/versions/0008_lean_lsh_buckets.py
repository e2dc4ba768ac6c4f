"""Lean LSH buckets: fewer bands, one B-tree ordered by (bucket, listing), no foreign key, no index by listing.

With a million listings stored the bucket table holds tens of millions of rows, and every new listing writes one
row per band and probes one key per band. SQLite kept three B-trees for it (the rowid table, the primary key's
index, the index by listing) and checked the foreign key on each insert; PostgreSQL kept the index by listing and
the foreign key. A listing's own bands are now computed from its stored signature when they must be found
(``serving.storage.linking``, ``components``), and listings are never deleted, so both go. The bands are now cut
from the first 64 MinHash values (14 bands, ``model.near_duplicates.LSH_PERM``), so the buckets are computed again
from the stored signatures.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from model.near_duplicates import signature_bands

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.drop_index("ix_lsh_buckets_listing", table_name="lsh_buckets")
    if op.get_bind().dialect.name == "sqlite":  # a table's row layout cannot be altered in SQLite: copy it
        op.create_table(
            "lsh_buckets_lean",
            sa.Column("bucket", sa.BigInteger(), nullable=False, autoincrement=False),
            sa.Column("listing_id", ID, nullable=False, autoincrement=False),
            sa.PrimaryKeyConstraint("bucket", "listing_id"),
            sqlite_with_rowid=False,
        )
        op.drop_table("lsh_buckets")
        op.rename_table("lsh_buckets_lean", "lsh_buckets")
    else:
        op.drop_constraint("lsh_buckets_listing_id_fkey", "lsh_buckets", type_="foreignkey")
        op.execute("DELETE FROM lsh_buckets")
    _rebuild_buckets()


def _rebuild_buckets() -> None:
    """Every linked listing's bands, from its stored signature, a page of listings at a time."""
    connection = op.get_bind()
    buckets = sa.table("lsh_buckets", sa.column("bucket"), sa.column("listing_id"))
    last = -1
    while True:
        page = connection.execute(
            sa.text(
                "SELECT listing_id, signature FROM listing_links WHERE listing_id > :last AND signature IS NOT NULL "
                "ORDER BY listing_id LIMIT 5000"
            ),
            {"last": last},
        ).all()
        if not page:
            return
        rows = [{"bucket": b, "listing_id": i} for i, signature in page for b in signature_bands(signature)]
        connection.execute(buckets.insert(), rows)
        last = page[-1][0]


def downgrade() -> None:  # the buckets come back empty: link again (`python -m serving link`) after a downgrade
    if op.get_bind().dialect.name == "sqlite":
        op.create_table(
            "lsh_buckets_old",
            sa.Column("bucket", sa.BigInteger(), nullable=False, autoincrement=False),
            sa.Column("listing_id", ID, sa.ForeignKey("listings.id"), nullable=False, autoincrement=False),
            sa.PrimaryKeyConstraint("bucket", "listing_id"),
        )
        op.drop_table("lsh_buckets")
        op.rename_table("lsh_buckets_old", "lsh_buckets")
    else:
        op.create_foreign_key("lsh_buckets_listing_id_fkey", "lsh_buckets", "listings", ["listing_id"], ["id"])
    op.create_index("ix_lsh_buckets_listing", "lsh_buckets", ["listing_id"])
