"""Signing in to the review page: a revocable server-side session, never the API key itself, and the CSRF checks.

The reviewer types their API key once. The server checks it like the Bearer API does, stores a session row and
answers with a cookie holding a random 256-bit token: HttpOnly (scripts cannot read it), SameSite=Strict (other
sites' pages never send it), Secure over HTTPS, scoped to ``/review``. The database keeps only an HMAC of the
token keyed with the session secret, so

- a stolen cookie is not an API key: it opens only the review page, until it expires or its owner signs out;
- signing out revokes the session on the server (a copied cookie stops working too), and so does revoking the
  key (the key row is read on every request);
- several workers or replicas share the sessions through the database.

The session secret is ``SOI_SESSION_SECRET``, resolved like the service's other secrets (``serving.secrets``):
without one, a single-machine SQLite service generates it into its secrets folder (never the database) and says
so loudly; PostgreSQL replicas refuse to start until it is set.

Every POST of the page also has to come from the page itself: its ``Origin`` (or, failing that, its
``Referer``) must be this server, and a session's forms carry a token derived from the session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import Request

from serving.auth import DEV_PRINCIPAL, Principal
from serving.roles import REVIEW_ROLES
from serving.storage.api_keys import find_api_key
from serving.storage.db import Database
from serving.storage.models import utc_now
from serving.storage.sessions import (
    add_review_session,
    find_review_session,
    revoke_review_session,
)

log = logging.getLogger("soi.serving")
COOKIE_NAME = "soi_review_session"
COOKIE_PATH = "/review"
# what ``secrets.token_urlsafe(32)`` makes; anything else in the cookie is not looked up at all
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class ReviewSession:
    """A signed-in reviewer and the CSRF token of their forms."""

    principal: Principal
    csrf_token: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _mac(secret: str, message: str) -> str:
    return _b64(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest())


def _token_hash(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), f"session\x00{token}".encode(), hashlib.sha256).hexdigest()


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
        return Principal.of_key(row), None


def start_session(db: Database, principal: Principal, *, secret: str, ttl_s: int) -> str:
    """Store a session for a principal who just signed in; returns the cookie's value (its token)."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    with db.write() as session:
        add_review_session(
            session,
            token_hash=_token_hash(secret, token),
            api_key_id=principal.key_id or 0,
            now=now,
            expires_at=now + timedelta(seconds=ttl_s),
        )
    return token


def end_session(request: Request, db: Database, *, secret: str) -> None:
    """Revoke the request's session on the server (signing out), if it has one."""
    token = request.cookies.get(COOKIE_NAME, "")
    if _TOKEN.fullmatch(token):
        with db.write() as session:
            revoke_review_session(session, _token_hash(secret, token), now=utc_now())


def read_session(request: Request, db: Database, *, secret: str, auth_disabled: bool) -> ReviewSession | None:
    """The signed-in reviewer of a request, or None (no or malformed cookie, unknown, signed out, expired,
    revoked key, wrong role)."""
    if auth_disabled:
        return ReviewSession(principal=DEV_PRINCIPAL, csrf_token=_mac(secret, "csrf.development"))
    token = request.cookies.get(COOKIE_NAME, "")
    if not _TOKEN.fullmatch(token):
        return None
    with db.read() as session:
        row = find_review_session(session, _token_hash(secret, token), now=utc_now())
        if row is None or row.role not in REVIEW_ROLES:
            return None
        principal = Principal.of_key(row)
    return ReviewSession(principal=principal, csrf_token=_mac(secret, f"csrf\x00{token}"))


def same_origin(request: Request) -> bool:
    """Whether a POST comes from this server's own pages (its Origin, else its Referer, names this host)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    try:
        parts = urlsplit(source)
    except ValueError:  # "http://[" and the like: not a URL of this server
        return False
    host = request.headers.get("host", "")
    return parts.scheme in ("http", "https") and parts.netloc == host


def csrf_matches(review_session: ReviewSession, token: str | None) -> bool:
    """Whether a form's token is the session's."""
    return bool(token) and hmac.compare_digest(review_session.csrf_token.encode(), (token or "").encode())
