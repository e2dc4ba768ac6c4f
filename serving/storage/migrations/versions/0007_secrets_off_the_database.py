"""Secrets off the database: the review page's session secret is resolved like the identifier and evidence keys
(``serving.secrets``: a setting, else a file beside the SQLite database, never a table), so ``service_secrets``
goes. A secret generated into it before is not carried over: sign-ins made with it end (reviewers sign in again).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("service_secrets")


def downgrade() -> None:
    op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
