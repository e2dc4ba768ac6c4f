"""The labels a listing's latest score flagged become a relation, ``listing_flags`` (listing, label, position),
indexed by label, instead of the text ``|counterfeit|prohibited|`` in ``listings.latest_flagged`` matched with LIKE.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PAGE = 5000


def upgrade() -> None:
    op.create_table(
        "listing_flags",
        sa.Column("listing_id", ID, sa.ForeignKey("listings.id"), nullable=False, autoincrement=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("listing_id", "label"),
    )
    op.create_index("ix_listing_flags_label", "listing_flags", ["label", "listing_id"])
    connection = op.get_bind()
    flags = sa.table("listing_flags", sa.column("listing_id"), sa.column("label"), sa.column("position"))
    last = -1
    while True:
        page = connection.execute(
            sa.text(
                "SELECT id, latest_flagged FROM listings WHERE id > :last AND latest_flagged IS NOT NULL "
                "ORDER BY id LIMIT :page"
            ),
            {"last": last, "page": PAGE},
        ).all()
        if not page:
            break
        rows = [
            {"listing_id": listing_id, "label": label, "position": position}
            for listing_id, written in page
            for position, label in enumerate(dict.fromkeys(item for item in written.split("|") if item))
        ]
        if rows:
            connection.execute(flags.insert(), rows)
        last = page[-1][0]
    op.drop_column("listings", "latest_flagged")


def downgrade() -> None:
    op.add_column("listings", sa.Column("latest_flagged", sa.String(length=400), nullable=True))
    op.execute(
        "UPDATE listings SET latest_flagged = '|' || COALESCE((SELECT string_agg(label, '|' ORDER BY position) "
        "FROM listing_flags WHERE listing_id = listings.id), '') || '|'"
        if op.get_bind().dialect.name == "postgresql"
        else "UPDATE listings SET latest_flagged = '|' || COALESCE((SELECT group_concat(label, '|') FROM "
        "(SELECT label FROM listing_flags WHERE listing_id = listings.id ORDER BY position)), '') || '|'"
    )
    op.drop_index("ix_listing_flags_label", table_name="listing_flags")
    op.drop_table("listing_flags")
