"""Hardening: listing identities that cannot collide, revocable review sessions, the service's own secrets, and
reviews that no REPLACE or TRUNCATE can rewrite.

- ``listings.key`` becomes a JSON array, ``["id", platform, id]``, ``["url", url]`` or ``["sha256", hash]``:
  the old joined string ``id:<platform>:<id>`` gave ``platform="shopee:1", id="2"`` and ``platform="shopee",
  id="1:2"`` one identity. Existing rows are rewritten from their own ``platform``, ``external_id`` and ``url``
  columns (an old ``id:`` key cannot be split back reliably, the columns can), and ``key_hash`` with them. Two
  listings that had collided already share one row; that row keeps the identity of the first one stored.
  A downgrade joins them again, and fails on the unique key hash if two listings that only the new keys tell
  apart were stored since.
- ``review_sessions``: a sign-in is a row, so signing out revokes it on the server.
- ``service_secrets``: the session secret the service generates when ``SOI_SESSION_SECRET`` is not set.
- reviews: SQLite fires no DELETE trigger when ``REPLACE`` / ``INSERT OR REPLACE`` removes a row, so an INSERT
  whose id already exists is refused; PostgreSQL refuses ``TRUNCATE`` (UPDATE and DELETE were refused by 0001).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PAGE = 1_000
_LISTINGS = sa.table(
    "listings",
    sa.column("id", ID),
    sa.column("key", sa.Text()),
    sa.column("key_hash", sa.String(64)),
    sa.column("platform", sa.String(64)),
    sa.column("external_id", sa.Text()),
    sa.column("url", sa.Text()),
)


def _structured_key(old: str, platform: str | None, external_id: str | None, url: str | None) -> str:
    """The JSON-array key of a row stored with an old joined key (what ``model.listing_key.listing_key`` now makes)."""
    if old.startswith("id:"):
        parts = ["id", platform or "", external_id or ""]
    elif old.startswith("url:"):
        parts = ["url", url or old.removeprefix("url:")]
    else:
        parts = ["sha256", old.removeprefix("sha256:")]
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def _joined_key(new: str) -> str:
    """The old joined key of a JSON-array key (downgrade)."""
    kind, *rest = json.loads(new)
    return f"{kind}:{':'.join(rest)}"


def _rewrite_keys(convert) -> None:
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(
            sa.select(_LISTINGS.c.id, _LISTINGS.c.key, _LISTINGS.c.platform, _LISTINGS.c.external_id, _LISTINGS.c.url)
            .where(_LISTINGS.c.id > after)
            .order_by(_LISTINGS.c.id)
            .limit(PAGE)
        ).all()
        for row in rows:
            key = convert(row)
            bind.execute(
                sa.update(_LISTINGS)
                .where(_LISTINGS.c.id == row.id)
                .values(key=key, key_hash=hashlib.sha256(key.encode("utf-8")).hexdigest())
            )
        if len(rows) < PAGE:
            return
        after = rows[-1].id


def upgrade() -> None:
    _rewrite_keys(lambda row: _structured_key(row.key, row.platform, row.external_id, row.url))
    op.create_table(
        "review_sessions",
        sa.Column("id", ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("api_key_id", ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("review_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_sessions_api_key_id"), ["api_key_id"], unique=False)
    op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER reviews_no_truncate BEFORE TRUNCATE ON reviews "
            "FOR EACH STATEMENT EXECUTE FUNCTION soi_reviews_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER reviews_no_replace BEFORE INSERT ON reviews "
            "WHEN EXISTS (SELECT 1 FROM reviews WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'reviews are append-only: add a new review instead'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS reviews_no_truncate ON reviews")
    else:
        op.execute("DROP TRIGGER IF EXISTS reviews_no_replace")
    op.drop_table("service_secrets")
    with op.batch_alter_table("review_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_sessions_api_key_id"))
    op.drop_table("review_sessions")
    _rewrite_keys(lambda row: _joined_key(row.key))
