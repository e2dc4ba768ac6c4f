"""Team review: claims and review stages on listings, second-review checks, review steps, clearances.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LISTING_COLUMNS = ("claimed_by", "claim_expires_at", "review_stage")


def upgrade() -> None:
    # plain ADD COLUMN (no table rebuild): nullable columns, so existing rows need no default
    op.add_column("listings", sa.Column("claimed_by", sa.String(length=200), nullable=True))
    op.add_column("listings", sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("listings", sa.Column("review_stage", sa.String(length=16), nullable=True))
    op.create_table(
        "review_checks",
        sa.Column("id", ID, nullable=False),
        sa.Column("listing_id", ID, sa.ForeignKey("listings.id"), nullable=False),
        sa.Column("snapshot_id", ID, sa.ForeignKey("listing_snapshots.id"), nullable=False),
        sa.Column("sampled", sa.Boolean(), nullable=False),
        sa.Column("contradicts_model", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_review_id", ID, sa.ForeignKey("reviews.id"), nullable=False),
        sa.Column("first_reviewer", sa.String(length=200), nullable=False),
        sa.Column("second_review_id", ID, sa.ForeignKey("reviews.id"), nullable=True),
        sa.Column("second_reviewer", sa.String(length=200), nullable=True),
        sa.Column("decision_review_id", ID, sa.ForeignKey("reviews.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_checks_listing_id", "review_checks", ["listing_id"])
    op.create_index("ix_review_checks_status", "review_checks", ["status"])
    op.create_table(
        "review_steps",
        sa.Column("review_id", ID, sa.ForeignKey("reviews.id"), nullable=False),
        sa.Column("listing_id", ID, sa.ForeignKey("listings.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("check_id", ID, sa.ForeignKey("review_checks.id"), nullable=True),
        sa.Column("retracts_review_id", ID, sa.ForeignKey("reviews.id"), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("review_id"),
    )
    op.create_index("ix_review_steps_listing_id", "review_steps", ["listing_id"])
    op.create_table(
        "reviewer_clearances",
        sa.Column("id", ID, nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("cleared_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reviewer_clearances_reviewer", "reviewer_clearances", ["reviewer"])


def downgrade() -> None:
    op.drop_index("ix_reviewer_clearances_reviewer", table_name="reviewer_clearances")
    op.drop_table("reviewer_clearances")
    op.drop_index("ix_review_steps_listing_id", table_name="review_steps")
    op.drop_table("review_steps")
    op.drop_index("ix_review_checks_status", table_name="review_checks")
    op.drop_index("ix_review_checks_listing_id", table_name="review_checks")
    op.drop_table("review_checks")
    # plain DROP COLUMN (SQLite >= 3.35): a batch rebuild of listings would trip the foreign keys pointing at it
    for name in reversed(LISTING_COLUMNS):
        op.drop_column("listings", name)
