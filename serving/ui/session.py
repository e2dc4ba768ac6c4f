"""Signing in to the review page: a signed session cookie, never the API key itself, and the CSRF checks.

The reviewer types their API key once. The server checks it like the Bearer API does and answers with a
cookie ``<key id>.<expiry>.<signature>``: HttpOnly (scripts cannot read it), SameSite=Strict (other sites'
pages never send it), Secure over HTTPS, scoped to ``/review``. The signature is an HMAC keyed with the
key's stored hash (plus ``SOI_SESSION_SECRET`` when set), so

- a stolen cookie is not an API key: it opens only the review page, and only until it expires;
- revoking the key ends its sessions at once (the key row is read on every request);
- several workers or replicas need no shared session store and no extra secret to agree on.

Every POST of the page also has to come from the page itself: its ``Origin`` (or, failing that, its
``Referer``) must be this server, and a session's forms carry a token derived from the session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request

from serving.auth import DEV_PRINCIPAL, Principal
from serving.roles import REVIEW_ROLES
from serving.storage.db import Database
from serving.storage.repository import find_api_key, get_api_key

COOKIE_NAME = "soi_review_session"
COOKIE_PATH = "/review"


@dataclass(frozen=True)
class ReviewSession:
    """A signed-in reviewer and the CSRF token of their forms."""

    principal: Principal
    csrf_token: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _mac(secret: str, key_hash: str, message: str) -> str:
    key = hashlib.sha256(f"{secret}\x00{key_hash}".encode()).digest()
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def check_key(db: Database, key: str) -> tuple[Principal | None, str | None]:
    """The principal of a key typed into the sign-in form, or an error in Vietnamese for the reviewer."""
    key = key.strip()
    if not key:
        return None, "Hãy nhập khóa API của bạn."
    with db.read() as session:
        row = find_api_key(session, key)
        if row is None:
            return None, "Khóa không đúng hoặc đã bị thu hồi. Hãy kiểm tra lại hoặc xin khóa mới từ quản trị viên."
        if row.role not in REVIEW_ROLES:
            return None, "Khóa này không có quyền duyệt tin (cần khóa vai trò reviewer)."
        return Principal(name=row.name, role=row.role, key_id=row.id), None


def make_cookie_value(db: Database, principal: Principal, *, secret: str, ttl_s: int, now_s: float) -> str:
    """The session cookie's value for a principal who just signed in."""
    with db.read() as session:
        row = get_api_key(session, principal.key_id or 0)
        key_hash = row.key_hash if row else ""
    message = f"{principal.key_id}.{int(now_s) + ttl_s}"
    return f"{message}.{_mac(secret, key_hash, message)}"


def read_session(request: Request, db: Database, *, secret: str, auth_disabled: bool) -> ReviewSession | None:
    """The signed-in reviewer of a request, or None (no cookie, bad signature, expired, revoked, wrong role)."""
    if auth_disabled:
        return ReviewSession(principal=DEV_PRINCIPAL, csrf_token=_mac(secret, "", "csrf.development"))
    value = request.cookies.get(COOKIE_NAME, "")
    parts = value.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    key_id, expires = int(parts[0]), int(parts[1])
    if expires < time.time():
        return None
    with db.read() as session:
        row = get_api_key(session, key_id)
        if row is None or row.revoked_at is not None or row.role not in REVIEW_ROLES:
            return None
        message = f"{key_id}.{expires}"
        if not hmac.compare_digest(parts[2], _mac(secret, row.key_hash, message)):
            return None
        principal = Principal(name=row.name, role=row.role, key_id=row.id)
        return ReviewSession(principal=principal, csrf_token=_mac(secret, row.key_hash, f"csrf.{message}"))


def same_origin(request: Request) -> bool:
    """Whether a POST comes from this server's own pages (its Origin, else its Referer, names this host)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    host = request.headers.get("host", "")
    return parts.scheme in ("http", "https") and parts.netloc == host


def csrf_matches(review_session: ReviewSession, token: str | None) -> bool:
    """Whether a form's token is the session's."""
    return bool(token) and hmac.compare_digest(review_session.csrf_token, token or "")
