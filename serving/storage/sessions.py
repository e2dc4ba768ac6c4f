"""Review-page sessions: reads and writes of their table, in the caller's session.

A session row keeps only a keyed hash of the cookie's token, so reading the database is not enough to sign in;
revoking the row (sign-out) ends the session at once, on every worker and replica.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from serving.storage.models import ApiKeyRow, ReviewSessionRow

# Expired sessions are deleted this long after they expire (kept a while for the audit of recent sign-ins).
EXPIRED_KEPT = timedelta(days=7)


def add_review_session(
    session: Session, *, token_hash: str, api_key_id: int, now: datetime, expires_at: datetime
) -> None:
    """Store a new sign-in (and forget sessions that expired long ago)."""
    session.execute(delete(ReviewSessionRow).where(ReviewSessionRow.expires_at < now - EXPIRED_KEPT))
    session.add(ReviewSessionRow(token_hash=token_hash, api_key_id=api_key_id, created_at=now, expires_at=expires_at))
    session.flush()


def find_review_session(session: Session, token_hash: str, *, now: datetime) -> ApiKeyRow | None:
    """The active key behind a live session (not expired, not signed out, key not revoked), or None."""
    return session.scalar(
        select(ApiKeyRow)
        .join(ReviewSessionRow, ReviewSessionRow.api_key_id == ApiKeyRow.id)
        .where(
            ReviewSessionRow.token_hash == token_hash,
            ReviewSessionRow.revoked_at.is_(None),
            ReviewSessionRow.expires_at > now,
            ApiKeyRow.revoked_at.is_(None),
        )
    )


def revoke_review_session(session: Session, token_hash: str, *, now: datetime) -> bool:
    """Sign a session out; False when there was no live session with that token."""
    row = session.scalar(select(ReviewSessionRow).where(ReviewSessionRow.token_hash == token_hash))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True
