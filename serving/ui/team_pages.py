"""The review page's team routes: J claims the next listing, a heartbeat keeps the claim while the reviewer
stays, U retracts the review just saved, and the leads' page of reviewers' reliability with its "clear"
action. Forms are POSTs checked like the page's others (same origin, the session's CSRF token) and answered
with a redirect."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response

from model.schema import is_storable_text
from serving import team
from serving.deps import DatabaseDep
from serving.roles import is_lead
from serving.settings import Settings
from serving.storage.db import Database
from serving.storage.review_checks import ReviewRefused

# The page's own helpers (session, forms, rendering with its security headers), shared rather than copied.
from serving.ui.routes import FormDep, _forbidden, _page, _settings_session, _to_signin, parse_queue_query, templates
from serving.ui.session import ReviewSession, csrf_matches, same_origin
from serving.ui.team_view import with_viewer

log = logging.getLogger("soi.review_page")
ReviewId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
ListingId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]


def _filters(request: Request) -> dict[str, str]:
    return {k: v for k, v in parse_queue_query(request.query_params).values.items() if v}


@dataclass(frozen=True)
class Posted:
    """A form posted by a signed-in reviewer from this page."""

    session: ReviewSession
    form: dict[str, list[str]]


def _posted(request: Request, db: Database, settings: Settings, form: dict[str, list[str]]) -> Posted | Response:
    """The signed-in reviewer and their form; else the answer to give (sign in, or 403 for a foreign form)."""
    review_session = _settings_session(request, db, settings)
    if review_session is None:
        return _to_signin(request)
    if not same_origin(request) or not csrf_matches(review_session, (form.get("csrf") or [""])[0]):
        return _forbidden(request)
    return Posted(session=review_session, form=form)


def build_router(settings: Settings) -> APIRouter:
    """The team routes of the review page."""
    router = APIRouter(include_in_schema=False)

    @router.post("/review/next")
    def next_listing(request: Request, db: DatabaseDep, form: FormDep) -> Response:
        """J: claim the next listing of the (filtered) queue below the one the reviewer is on, and open it."""
        posted = _posted(request, db, settings, form)
        if isinstance(posted, Response):
            return posted
        review_session = posted.session
        raw_after = (posted.form.get("after") or [""])[0]
        after = int(raw_after) if raw_after.isdigit() and len(raw_after) < 19 else None
        query = parse_queue_query(request.query_params)
        where = with_viewer(query.where, review_session.principal)
        claimed = team.claim_next(db, settings, where, caller=review_session.principal, n=1, after=after)
        suffix = f"?{query.query_string}" if query.query_string else ""
        if not claimed:
            return RedirectResponse(f"/review/queue{suffix}", status_code=303)
        return RedirectResponse(f"/review/listings/{claimed[0].listing_id}{suffix}", status_code=303)

    @router.post("/review/listings/{listing_id}/claim")
    def keep(request: Request, listing_id: ListingId, db: DatabaseDep, form: FormDep) -> Response:
        """The page's heartbeat while the reviewer stays on a listing: renew their lease (204; 409 if lost)."""
        posted = _posted(request, db, settings, form)
        if isinstance(posted, Response):
            return posted
        claim = team.keep_claim(db, settings, listing_id, caller=posted.session.principal)
        held = claim is not None and claim.claimed_by == posted.session.principal.name
        return Response(status_code=204 if held else 409)

    @router.post("/review/reviews/{review_id}/retract")
    def retract(request: Request, review_id: ReviewId, db: DatabaseDep, form: FormDep) -> Response:
        """U: withdraw the review just saved; the listing returns to the queue as it was."""
        posted = _posted(request, db, settings, form)
        if isinstance(posted, Response):
            return posted
        try:
            retraction = team.retract_review(db, settings, review_id, caller=posted.session.principal)
        except ReviewRefused:
            retraction = None
        if retraction is None:
            message = (
                f"Không hoàn tác được: chỉ người duyệt rút lại được đánh giá của mình, trong {settings.undo_s:g} giây "
                "sau khi lưu và khi chưa có đánh giá nào mới hơn. Hãy lưu một đánh giá sửa lại thay vào đó."
            )
            return _page(request, "error.html", {"title": "Không hoàn tác được", "message": message}, 409)
        target = f"/review/listings/{retraction.listing_id}?" + urlencode({**_filters(request), "undone": "1"})
        return RedirectResponse(target, status_code=303)

    @router.get("/review/team")
    def team_page(request: Request, db: DatabaseDep) -> Response:
        """Leads: every reviewer's agreement, throughput, overrides and training standing."""
        review_session = _settings_session(request, db, settings)
        if review_session is None:
            return _to_signin(request)
        if not is_lead(review_session.principal.role):
            message = "Trang này dành cho trưởng nhóm duyệt (khóa vai trò lead)."
            return _page(request, "error.html", {"title": "Không có quyền", "message": message}, 403)
        stats = team.reviewer_stats(db, settings)
        cleared = request.query_params.get("cleared", "")[:200]
        context = {"session": review_session, "stats": stats, "cleared": cleared}
        return _page(request, "team.html", context)

    @router.post("/review/team/clear")
    def clear(request: Request, db: DatabaseDep, form: FormDep) -> Response:
        """Leads: clear a reviewer (measured afresh from now); recorded with the lead's name and note."""
        posted = _posted(request, db, settings, form)
        if isinstance(posted, Response):
            return posted
        review_session, form = posted.session, posted.form
        if not is_lead(review_session.principal.role):
            return _forbidden(request)
        reviewer = (form.get("reviewer") or [""])[0][:200]
        note = (form.get("note") or [""])[0].strip()[: settings.max_note_chars] or None
        if not is_storable_text(reviewer) or not is_storable_text(note or ""):
            reviewer = ""  # a NUL character is nobody's name, and no note may hold one: refused below
        cleared = team.clear_reviewer(db, reviewer, caller=review_session.principal, note=note) if reviewer else None
        if cleared is None:
            message = "Không có người duyệt này."
            return _page(request, "error.html", {"title": "Không tìm thấy", "message": message}, 404)
        log.info("reviewer cleared", extra={"reviewer": reviewer, "lead": review_session.principal.name})
        return RedirectResponse("/review/team?" + urlencode({"cleared": reviewer}), status_code=303)

    return router


def install_team_pages(app: FastAPI, settings: Settings) -> None:
    """Serve the review page's team routes from ``app`` (and let its templates ask ``role is lead``)."""
    templates.env.tests["lead"] = is_lead
    app.include_router(build_router(settings))
