"""API keys: made, looked up by hash, listed and revoked (never deleted: the audit trail keeps them)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.roles import ROLES
from serving.storage.content import sha256_hex
from serving.storage.models import ApiKeyRow

KEY_PREFIX = "soi_"


def hash_key(key: str) -> str:
    """SHA-256 of an API key. Keys are 256-bit random tokens, so a fast hash is as safe as a slow one."""
    return sha256_hex(key)


def create_api_key(session: Session, *, role: str, name: str, now: datetime) -> tuple[ApiKeyRow, str]:
    """A new key for ``role``; returns the row and the key itself, which is not stored anywhere."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: expected one of {list(ROLES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRow(name=name, role=role, key_hash=hash_key(key), prefix=key[:10], created_at=now)
    session.add(row)
    session.flush()
    return row, key


def find_api_key(session: Session, key: str) -> ApiKeyRow | None:
    """The active (not revoked) key row for a presented key, or None."""
    return session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(key), ApiKeyRow.revoked_at.is_(None)))


def list_api_keys(session: Session) -> list[ApiKeyRow]:
    """Every key, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)))


def revoke_api_key(session: Session, key_id: int, *, now: datetime) -> ApiKeyRow | None:
    """Mark a key revoked (kept for the audit trail); None if there is no such key."""
    row = session.get(ApiKeyRow, key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
    return row
