"""Who calls: the principal of an API key, and the cache of recently verified keys. The dependencies that check
``Authorization: Bearer <key>`` against a route's roles are in ``serving.deps`` (``authenticate``, ``require``).

Roles (``serving.roles``): ``crawler`` scores; ``reviewer`` reads the queue and listings, submits reviews and
exports them; ``lead`` also decides disputed reviews and reads reviewer statistics; ``admin`` manages keys,
reloads the model, and may do everything the others do. A missing, unknown or
revoked key is 401; a valid key of the wrong role is 403. A key checked recently is trusted from memory
for ``SOI_AUTH_CACHE_S`` seconds, so that authentication is not a database query on every request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name, role and id (None in development mode)."""

    name: str
    role: str
    key_id: int | None

    @classmethod
    def of_key(cls, row: Any) -> Principal:
        """The principal of an API key's row (or of a row carrying its ``name``, ``role`` and ``id``)."""
        return cls(name=row.name, role=row.role, key_id=row.id)


DEV_PRINCIPAL = Principal(name="development-mode", role="admin", key_id=None)


class KeyCache:
    """Recently verified keys by hash, for a few seconds; thread-safe."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> Principal | None:
        """The cached principal, if still fresh."""
        with self._lock:
            entry = self._entries.get(key_hash)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, key_hash: str, principal: Principal) -> None:
        """Remember a verified key."""
        if self.ttl_s > 0:
            with self._lock:
                self._entries[key_hash] = (principal, time.monotonic() + self.ttl_s)

    def clear(self) -> None:
        """Forget every key (after a revocation)."""
        with self._lock:
            self._entries.clear()
