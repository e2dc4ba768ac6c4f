"""API keys and roles: ``Authorization: Bearer <key>``, looked up by hash, checked against the route's roles.

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
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.errors import Forbidden, Unauthorized
from serving.roles import admitted
from serving.storage.repository import find_api_key, hash_key


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name, role and id (None in development mode)."""

    name: str
    role: str
    key_id: int | None


DEV_PRINCIPAL = Principal(name="development-mode", role="admin", key_id=None)
bearer = HTTPBearer(auto_error=False, description="An API key made by `make key ROLE=crawler|reviewer|lead|admin`.")


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


async def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller, from the bearer key; ``Unauthorized`` if there is none or it is not an active key.

    A key in the cache is checked on the event loop (a hash and a dictionary look-up); only a database look-up
    goes to a worker thread, so that a crawler's every request does not cost a thread hand-off.
    """
    state = request.app.state
    if state.settings.auth_disabled:
        return DEV_PRINCIPAL
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    key = credentials.credentials.strip()
    key_hash = hash_key(key)
    principal = state.key_cache.get(key_hash)
    if principal is None:
        principal = await run_in_threadpool(_look_up_key, state, key)
        state.key_cache.put(key_hash, principal)
    request.state.principal = principal
    return principal


def _look_up_key(state: Any, key: str) -> Principal:
    with state.db.read() as session:
        row = find_api_key(session, key)
        if row is None:
            raise Unauthorized("unknown or revoked API key")
        return Principal(name=row.name, role=row.role, key_id=row.id)


def require(*roles: str):
    """A dependency admitting the given roles, the roles above them and admin; others get 403."""
    allowed = admitted(*roles)

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role!r} may not do this; needs one of {sorted(allowed)}")
        return principal

    return check


CrawlerDep = Annotated[Principal, Depends(require("crawler"))]
ReviewerDep = Annotated[Principal, Depends(require("reviewer"))]
LeadDep = Annotated[Principal, Depends(require("lead"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]
