"""The review page's routes under ``/review``: sign in, the queue, one listing, a review, sign out.

Pages are rendered on the server from what ``serving.reviewing`` returns, the functions the JSON API calls,
so the page and the API cannot disagree; the JavaScript only adds keyboard shortcuts. Forms are plain
``application/x-www-form-urlencoded`` POSTs answered with a redirect (post/redirect/get), so reloading a
page never submits a review twice. None of this is in the OpenAPI schema: it is not an API. What the routes
share (templates, forms, the sign-in check) is in ``serving.ui.pages``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from model.labels import review_labels
from model.schema import PLATFORMS, PRIORITIES, Listing
from serving import reviewing
from serving.cases import listing_case
from serving.deps import DatabaseDep, SettingsDep
from serving.limits import RequestModelsDep
from serving.schemas import ListingDetail
from serving.settings import Settings
from serving.storage.db import Database
from serving.storage.queue import QueueCursor
from serving.storage.review_checks import ReviewRefused
from serving.ui import cases, team_pages
from serving.ui import format as fmt
from serving.ui.filters import filled, parse_queue_query
from serving.ui.pages import (
    HERE,
    FormDep,
    PostedDep,
    SignedInDep,
    current_session,
    error_page,
    forbidden_page,
    form_value,
    install_page_errors,
    note_refused,
    render_page,
)
from serving.ui.session import (
    COOKIE_NAME,
    COOKIE_PATH,
    ReviewSession,
    check_key,
    end_session,
    same_origin,
    start_session,
)
from serving.ui.team_view import listing_team_view, with_viewer

log = logging.getLogger("soi.review_page")
QUEUE_PAGE_SIZE = 50
ListingId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # only a path of this page: never another host ("//evil", "/\\evil") or a scheme
    if target and target.startswith("/review/") and "//" not in target and "\\" not in target:
        return target
    return "/review/queue"


def _listing_view(detail: ListingDetail) -> dict[str, Any]:
    """What the listing page shows: the latest score, the snapshot it scored, and the highlighted text."""
    score = detail.scores[-1] if detail.scores else None
    snapshot = next((s for s in detail.snapshots if score and s.snapshot_id == score.snapshot_id), None)
    if snapshot is None and detail.snapshots:
        snapshot = detail.snapshots[-1]
    raw = snapshot.listing if snapshot else {}
    # every contract field, None when the crawler did not send it (the snapshot keeps only what was sent)
    listing = {name: raw.get(name) for name in Listing.model_fields}
    reasons = score.reasons if score else []
    terms = [str(r.get("evidence", "")) for r in reasons if r.get("kind") == "term"]
    checked = set(detail.labels) if detail.labels is not None else set(score.flagged if score else [])
    seller = listing.get("seller") or {}
    return {
        "score": score,
        "snapshot": snapshot,
        "listing": listing,
        "seller": seller if isinstance(seller, dict) else {},
        "reasons": reasons,
        "title_html": fmt.highlight(str(listing.get("title") or ""), terms),
        "description_html": fmt.highlight(str(listing.get("description") or ""), terms),
        "checked": checked,
        "history": list(reversed(detail.reviews)),
    }


@router.get("/review")
def review_home() -> RedirectResponse:
    return RedirectResponse("/review/queue", status_code=303)


@router.get("/review/signin")
def signin_form(request: Request, db: DatabaseDep, settings: SettingsDep, next: str | None = None) -> Response:
    if current_session(request, db, settings) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render_page(request, "signin.html", {"next": _safe_next(next), "error": None})


@router.post("/review/signin")
def signin(request: Request, db: DatabaseDep, settings: SettingsDep, form: FormDep) -> Response:
    if not same_origin(request):
        return forbidden_page(request)
    target = _safe_next(form_value(form, "next"))
    principal, error = check_key(db, form_value(form, "key"))
    if principal is None:
        log.info("review page sign-in refused")
        return render_page(request, "signin.html", {"next": target, "error": error}, 401)
    secret = request.app.state.session_secret
    value = start_session(db, principal, secret=secret, ttl_s=settings.session_ttl_s)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=settings.session_ttl_s,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    log.info("review page sign-in", extra={"reviewer": principal.name})
    return response


@router.post("/review/signout")
def signout(request: Request, db: DatabaseDep) -> Response:
    if not same_origin(request):
        return forbidden_page(request)
    end_session(request, db, secret=request.app.state.session_secret)  # the cookie stops working everywhere
    response = RedirectResponse("/review/signin", status_code=303)
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


@router.get("/review/queue")
def queue_page(request: Request, db: DatabaseDep, settings: SettingsDep, review_session: SignedInDep) -> Response:
    query = parse_queue_query(request.query_params)
    errors = list(query.errors)
    cursor = None
    raw_cursor = request.query_params.get("cursor")
    if raw_cursor:
        try:
            cursor = QueueCursor.decode(raw_cursor[:512])
        except ValueError:
            errors.append("Liên kết trang không hợp lệ: hiển thị từ đầu hàng đợi.")
    where = with_viewer(query.where, review_session.principal)
    page = reviewing.load_queue_page(db, settings, where, limit=QUEUE_PAGE_SIZE, cursor=cursor)
    next_url = None
    if page.next_cursor:
        next_url = "/review/queue?" + urlencode({**filled(query.values), "cursor": page.next_cursor})
    context = {
        "session": review_session,
        "query": query,
        "errors": errors,
        "page": page,
        "first_page": cursor is None,
        "next_url": next_url,
        "platforms": PLATFORMS,
        "priorities": PRIORITIES,
    }
    return render_page(request, "queue.html", context)


def render_listing(
    request: Request,
    db: Database,
    settings: Settings,
    review_session: ReviewSession,
    listing_id: int,
    *,
    form_error: str | None = None,
    note: str = "",
    checked: set[str] | None = None,
    status_code: int = 200,
) -> Response:
    """The listing page (404 page for an unknown listing), with the form's error when it comes back."""
    detail = reviewing.load_listing_detail(db, listing_id, viewer=review_session.principal.name)
    if detail is None:
        return error_page(request, "Không tìm thấy", f"Không có tin đăng số {listing_id}.", 404)
    query = parse_queue_query(request.query_params)
    view = _listing_view(detail)
    if checked is not None:
        view["checked"] = checked  # what the reviewer had ticked, when the form comes back with an error
    context = {
        "session": review_session,
        "detail": detail,
        "query": query,
        "neighbours": reviewing.load_neighbours(db, with_viewer(query.where, review_session.principal), listing_id),
        "team": listing_team_view(db, settings, review_session.principal, detail),
        "renew_s": int(settings.claim_lease_s / 2),
        "undone": request.query_params.get("undone") == "1",
        "case": listing_case(db, listing_id),  # (case id, listings): the link to the listing's case
        "saved": request.query_params.get("saved") == "1" and form_error is None,
        "form_error": form_error,
        "note": note,
        "max_note_chars": settings.max_note_chars,
        **view,
    }
    return render_page(request, "listing.html", context, status_code)


@router.get("/review/listings/{listing_id}")
def listing_page(
    request: Request, listing_id: ListingId, db: DatabaseDep, settings: SettingsDep, review_session: SignedInDep
) -> Response:
    return render_listing(request, db, settings, review_session, listing_id)


@router.post("/review/listings/{listing_id}/reviews")
def review_form(
    request: Request,
    listing_id: ListingId,
    db: DatabaseDep,
    settings: SettingsDep,
    models: RequestModelsDep,
    posted: PostedDep,
) -> Response:
    form, principal = posted.form, posted.session.principal
    note = form_value(form, "note").strip()
    try:
        review = models.review(labels=form.get("label", []), note=note or None)
    except (ValidationError, ValueError):
        review = None
    refused = None
    if review is not None:
        try:
            stored = reviewing.submit_review(
                db, listing_id, caller=principal, labels=review.labels, note=review.note,
                policy=reviewing.check_policy(settings),
            )  # fmt: skip
        except ReviewRefused:
            stored, refused = None, "Chưa lưu: hai người duyệt không thống nhất, tin đang chờ trưởng nhóm quyết định."
        if stored is not None:
            query = parse_queue_query(request.query_params)
            back = f"/review/listings/{listing_id}?" + urlencode({**filled(query.values), "saved": "1"})
            return RedirectResponse(back + "#lich-su", status_code=303)
    return render_listing(
        request, db, settings, posted.session, listing_id, form_error=refused or note_refused(settings), note=note,
        checked={label for label in form.get("label", []) if label in review_labels()},
        status_code=409 if refused else 422,
    )  # fmt: skip


def install_review_page(app: FastAPI) -> None:
    """Serve the review page (this module's routes, its team and case views) and its static files from ``app``."""
    install_page_errors(app)
    app.include_router(router)
    app.include_router(team_pages.router)
    app.include_router(cases.router)
    app.mount("/review/static", StaticFiles(directory=HERE / "static"), name="review-static")
