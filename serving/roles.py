"""The roles of API keys, defined once: who may score, review, lead reviewers and administer.

``crawler`` scores listings and stands apart. The others form a ladder, each allowed what the ones below it
may do: ``reviewer`` (the queue, listings, reviews, the export) < ``lead`` (also decides disputed reviews,
reads reviewer statistics and clears reviewers) < ``admin`` (also keys and model reloads). Every module asks
here (``admits``), so a new role is one edit.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["crawler", "reviewer", "lead", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
# The reviewing ladder, lowest first; crawler is not on it.
LADDER: tuple[str, ...] = ("reviewer", "lead", "admin")
REVIEW_ROLES: tuple[str, ...] = LADDER
LEAD_ROLES: tuple[str, ...] = LADDER[LADDER.index("lead") :]


def admitted(*roles: str) -> frozenset[str]:
    """The roles a route open to ``roles`` admits: each of them, every role above it, and admin."""
    allowed = {"admin"}
    for role in roles:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: expected one of {list(ROLES)}")
        allowed.add(role)
        if role in LADDER:
            allowed.update(LADDER[LADDER.index(role) :])
    return frozenset(allowed)


def is_lead(role: str) -> bool:
    """Whether the role may decide disputes and read reviewer statistics (lead or admin)."""
    return role in LEAD_ROLES
