"""The log of model reloads that every worker follows (``serving.reloads``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serving.storage.models import ModelReloadRow


def record_reload(session: Session, *, model_version: str, requested_by: str, now: datetime) -> int:
    """Log a reload so that the other workers follow; returns its id."""
    row = ModelReloadRow(model_version=model_version, requested_by=requested_by, requested_at=now)
    session.add(row)
    session.flush()
    return row.id


def latest_reload_id(session: Session) -> int:
    """The id of the last logged reload (0 when there is none)."""
    return session.scalar(select(func.max(ModelReloadRow.id))) or 0
