"""Cases: operators, listing links, the identifier index (keyed hashes only), LSH buckets, deleted listings.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", ID, nullable=False, autoincrement=False),
        sa.Column("listing_count", sa.Integer(), nullable=False),
        sa.Column("seller_count", sa.Integer(), nullable=False),
        sa.Column("platforms", sa.String(length=400), nullable=False),
        sa.Column("max_risk", sa.Float(), nullable=False),
        sa.Column("flagged", sa.String(length=400), nullable=False),
        sa.Column("flagged_counts", sa.JSON(), nullable=False),
        sa.Column("first_seen", TIME, nullable=False),
        sa.Column("last_seen", TIME, nullable=False),
        sa.Column("gone_count", sa.Integer(), nullable=False),
        sa.Column("gone_within_48h", sa.Integer(), nullable=False),
        sa.Column("is_case", sa.Boolean(), nullable=False),
        sa.Column("merged_into", ID, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_operators_cases", "operators", ["is_case", "max_risk", "id"])
    op.create_table(
        "listing_links",
        sa.Column("listing_id", ID, sa.ForeignKey("listings.id"), nullable=False, autoincrement=False),
        sa.Column("operator_id", ID, nullable=False),
        sa.Column("snapshot_id", ID, nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("full_signature", sa.LargeBinary(), nullable=True),
        sa.Column("seller_key", sa.String(length=32), nullable=False),
        sa.Column("linked_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("listing_id"),
    )
    op.create_index("ix_listing_links_operator_id", "listing_links", ["operator_id"])
    op.create_table(
        "identifiers",
        sa.Column("value_hash", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("operator_id", ID, nullable=False),
        sa.Column("listing_count", sa.Integer(), nullable=False),
        sa.Column("seller_count", sa.Integer(), nullable=False),
        sa.Column("common", sa.Boolean(), nullable=False),
        sa.Column("first_seen", TIME, nullable=False),
        sa.PrimaryKeyConstraint("value_hash"),
    )
    op.create_index("ix_identifiers_operator_id", "identifiers", ["operator_id"])
    op.create_table(
        "identifier_listings",
        sa.Column("value_hash", sa.String(length=32), nullable=False),
        sa.Column("listing_id", ID, sa.ForeignKey("listings.id"), nullable=False, autoincrement=False),
        sa.Column("snapshot_id", ID, nullable=False),
        sa.Column("seller_key", sa.String(length=32), nullable=False),
        sa.Column("first_seen", TIME, nullable=False),
        sa.PrimaryKeyConstraint("value_hash", "listing_id"),
    )
    op.create_index("ix_identifier_listings_listing", "identifier_listings", ["listing_id"])
    op.create_index("ix_identifier_listings_seller", "identifier_listings", ["value_hash", "seller_key"])
    op.create_table(
        "lsh_buckets",
        sa.Column("bucket", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("listing_id", ID, sa.ForeignKey("listings.id"), nullable=False, autoincrement=False),
        sa.PrimaryKeyConstraint("bucket", "listing_id"),
    )
    op.create_index("ix_lsh_buckets_listing", "lsh_buckets", ["listing_id"])
    op.create_table(
        "listings_gone",
        sa.Column("listing_id", ID, sa.ForeignKey("listings.id"), nullable=False, autoincrement=False),
        sa.Column("gone_at", TIME, nullable=False),
        sa.Column("reported_at", TIME, nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("seconds_online", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("listing_id"),
    )


def downgrade() -> None:
    for table in ("listings_gone", "lsh_buckets", "identifier_listings", "identifiers", "listing_links", "operators"):
        op.drop_table(table)
