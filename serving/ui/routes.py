"""The review page's routes under ``/review``: sign in, the queue, one listing, a review, sign out.

Pages are rendered on the server from what ``serving.reviewing`` returns, the functions the JSON API calls,
so the page and the API cannot disagree; the JavaScript only adds keyboard shortcuts. Forms are plain
``application/x-www-form-urlencoded`` POSTs answered with a redirect (post/redirect/get), so reloading a
page never submits a review twice. None of this is in the OpenAPI schema: it is not an API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from model.labels import review_labels
from model.schema import MAX_PLATFORM_CHARS, Listing, is_storable_text
from serving import reviewing
from serving.cases import listing_case
from serving.deps import DatabaseDep, SettingsDep
from serving.schemas import ListingDetail, make_review_model
from serving.settings import Settings
from serving.storage.queue import QueueCursor, QueueFilter
from serving.storage.review_checks import ReviewRefused
from serving.ui import format as fmt
from serving.ui.session import (
    COOKIE_NAME,
    COOKIE_PATH,
    ReviewSession,
    check_key,
    csrf_matches,
    end_session,
    read_session,
    same_origin,
    start_session,
)
from serving.ui.team_view import listing_team_view, with_viewer

log = logging.getLogger("soi.review_page")
HERE = Path(__file__).parent
QUEUE_PAGE_SIZE = 50
PRIORITIES = ("high", "medium", "low")
FILTER_FIELDS = ("label", "platform", "since", "until", "priority")
# Content-Security-Policy: only this server's own script and style, no inline code, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
ListingId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(
    price=fmt.format_price_vnd, vntime=fmt.format_time, percent=fmt.format_percent, priority_vi=fmt.PRIORITY_VI.get
)


@dataclass(frozen=True)
class QueueQuery:
    """The queue filters as typed in the form (kept to refill it and to carry along links), and as parsed."""

    values: dict[str, str]
    where: QueueFilter
    errors: list[str]

    @property
    def query_string(self) -> str:
        """The non-empty filters as a query string (no cursor): shareable, carried from page to page."""
        return urlencode({k: v for k, v in self.values.items() if v})


def _parse_date(raw: str, name: str, errors: list[str]) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(f"Ngày {name} không hợp lệ (cần dạng năm-tháng-ngày): bỏ qua.")
        return None
    first, last = reviewing.EARLIEST_FILTER_TIME.year, reviewing.LATEST_FILTER_TIME.year - 1
    if not first <= day.year <= last:  # a day at the calendar's edge cannot be moved to UTC or a day further
        errors.append(f"Ngày {name} phải trong các năm {first}–{last}: bỏ qua.")
        return None
    return day


def parse_queue_query(params: Any) -> QueueQuery:
    """Read the filters from query parameters; a bad value is dropped with a Vietnamese note, not a 422."""
    values = {name: (params.get(name) or "").strip()[:MAX_PLATFORM_CHARS] for name in FILTER_FIELDS}
    errors: list[str] = []
    if not is_storable_text(values["platform"]):
        errors.append("Nền tảng chứa ký tự không hợp lệ: bỏ qua.")
        values["platform"] = ""
    if values["label"] and values["label"] not in review_labels():
        errors.append("Nhãn không có trong danh mục: bỏ qua.")
        values["label"] = ""
    if values["priority"] and values["priority"] not in PRIORITIES:
        errors.append("Mức ưu tiên không hợp lệ: bỏ qua.")
        values["priority"] = ""
    since = _parse_date(values["since"], "từ", errors)
    until = _parse_date(values["until"], "đến", errors)
    if since is None:
        values["since"] = ""
    if until is None:
        values["until"] = ""
    where = QueueFilter(
        label=values["label"] or None,
        platform=values["platform"] or None,
        since=fmt.day_start_utc(since) if since else None,
        # "until" is a whole day, inclusive: the bound is the next day's midnight
        until=fmt.day_start_utc(until + timedelta(days=1)) if until else None,
        priority=values["priority"] or None,
    )
    return QueueQuery(values=values, where=where, errors=errors)


def _settings_session(request: Request, db: Any, settings: Settings) -> ReviewSession | None:
    return read_session(request, db, secret=request.app.state.session_secret, auth_disabled=settings.auth_disabled)


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    response = templates.TemplateResponse(
        request, name, {"labels": review_labels(), **context}, status_code=status_code
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _to_signin(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/review/signin?{urlencode({'next': target})}", status_code=303)


def _safe_next(target: str | None) -> str:
    # only a path of this page: never another host ("//evil", "/\\evil") or a scheme
    if target and target.startswith("/review/") and "//" not in target and "\\" not in target:
        return target
    return "/review/queue"


async def _form(request: Request) -> dict[str, list[str]]:
    # urlencoded forms only (the page sends nothing else); the middleware has already capped the body size.
    # A dependency, so that the routes reading a form are plain functions, run off the event loop with their
    # database work.
    body = (await request.body()).decode("utf-8", errors="replace")
    fields: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=64)
    except ValueError:  # more fields than any form of the page has: read as an empty form, which is refused
        return fields
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    return fields


FormDep = Annotated[dict[str, list[str]], Depends(_form)]


def _forbidden(request: Request) -> Response:
    message = "Yêu cầu bị từ chối: biểu mẫu không đến từ trang này. Hãy tải lại trang và thử lại."
    return _page(request, "error.html", {"title": "Yêu cầu bị từ chối", "message": message}, 403)


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


def build_router(settings: Settings) -> APIRouter:
    """The review page's routes."""
    router = APIRouter(include_in_schema=False)
    review_model = make_review_model(settings.max_note_chars)

    @router.get("/review")
    def review_home() -> RedirectResponse:
        return RedirectResponse("/review/queue", status_code=303)

    @router.get("/review/signin")
    def signin_form(request: Request, db: DatabaseDep, next: str | None = None) -> Response:
        if _settings_session(request, db, settings) is not None:
            return RedirectResponse(_safe_next(next), status_code=303)
        return _page(request, "signin.html", {"next": _safe_next(next), "error": None})

    @router.post("/review/signin")
    def signin(request: Request, db: DatabaseDep, app_settings: SettingsDep, form: FormDep) -> Response:
        if not same_origin(request):
            return _forbidden(request)
        target = _safe_next((form.get("next") or [""])[0])
        principal, error = check_key(db, (form.get("key") or [""])[0])
        if principal is None:
            log.info("review page sign-in refused")
            return _page(request, "signin.html", {"next": target, "error": error}, 401)
        secret = request.app.state.session_secret
        value = start_session(db, principal, secret=secret, ttl_s=app_settings.session_ttl_s)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE_NAME,
            value,
            max_age=app_settings.session_ttl_s,
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
            return _forbidden(request)
        end_session(request, db, secret=request.app.state.session_secret)  # the cookie stops working everywhere
        response = RedirectResponse("/review/signin", status_code=303)
        response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="strict")
        return response

    @router.get("/review/queue")
    def queue_page(request: Request, db: DatabaseDep) -> Response:
        review_session = _settings_session(request, db, settings)
        if review_session is None:
            return _to_signin(request)
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
            next_url = "/review/queue?" + urlencode(
                {**{k: v for k, v in query.values.items() if v}, "cursor": page.next_cursor}
            )
        return _page(
            request,
            "queue.html",
            {
                "session": review_session,
                "query": query,
                "errors": errors,
                "page": page,
                "first_page": cursor is None,
                "next_url": next_url,
                "platforms": fmt.PLATFORMS,
                "priorities": PRIORITIES,
            },
        )

    def render_listing(
        request: Request,
        db: Any,
        review_session: ReviewSession,
        listing_id: int,
        *,
        form_error: str | None = None,
        note: str = "",
        checked: set[str] | None = None,
        status_code: int = 200,
    ) -> Response:
        detail = reviewing.load_listing_detail(db, listing_id, viewer=review_session.principal.name)
        if detail is None:
            message = f"Không có tin đăng số {listing_id}."
            return _page(request, "error.html", {"title": "Không tìm thấy", "message": message}, 404)
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
        return _page(request, "listing.html", context, status_code)

    @router.get("/review/listings/{listing_id}")
    def listing_page(request: Request, listing_id: ListingId, db: DatabaseDep) -> Response:
        review_session = _settings_session(request, db, settings)
        if review_session is None:
            return _to_signin(request)
        return render_listing(request, db, review_session, listing_id)

    @router.post("/review/listings/{listing_id}/reviews")
    def review_form(request: Request, listing_id: ListingId, db: DatabaseDep, form: FormDep) -> Response:
        review_session = _settings_session(request, db, settings)
        if review_session is None:
            return _to_signin(request)
        if not same_origin(request) or not csrf_matches(review_session, (form.get("csrf") or [""])[0]):
            return _forbidden(request)
        note = (form.get("note") or [""])[0].strip()
        try:
            review = review_model(labels=form.get("label", []), note=note or None)
        except (ValidationError, ValueError):
            review = None
        refused = None
        if review is not None:
            try:
                stored = reviewing.submit_review(
                    db,
                    listing_id,
                    caller=review_session.principal,
                    labels=review.labels,
                    note=review.note,
                    policy=reviewing.check_policy(settings),
                )
            except ReviewRefused:
                stored, refused = (
                    None,
                    "Chưa lưu: hai người duyệt không thống nhất, tin đang chờ trưởng nhóm quyết định.",
                )
            if stored is not None:
                query = parse_queue_query(request.query_params)
                back = f"/review/listings/{listing_id}?" + urlencode(
                    {**{k: v for k, v in query.values.items() if v}, "saved": "1"}
                )
                return RedirectResponse(back + "#lich-su", status_code=303)
        return render_listing(
            request,
            db,
            review_session,
            listing_id,
            form_error=refused or f"Chưa lưu: nhãn không hợp lệ hoặc ghi chú dài quá {settings.max_note_chars} ký tự.",
            note=note,
            checked={label for label in form.get("label", []) if label in review_labels()},
            status_code=409 if refused else 422,
        )

    return router


def install_review_page(app: FastAPI, settings: Settings) -> None:
    """Serve the review page and its static files from ``app``."""
    app.include_router(build_router(settings))
    app.mount("/review/static", StaticFiles(directory=HERE / "static"), name="review-static")
