"""The review page's team routes: J claims the next listing, a heartbeat keeps the claim while the reviewer
stays, U retracts the review just saved, and the leads' page of reviewers' reliability with its "clear"
action. Forms are POSTs checked like the page's others (``PostedDep``: same origin, the session's CSRF token)
and answered with a redirect."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response

from model.schema import is_storable_text
from serving import team
from serving.deps import DatabaseDep, SettingsDep
from serving.roles import is_lead
from serving.storage.review_checks import ReviewRefused
from serving.ui.filters import filled, parse_queue_query
from serving.ui.pages import PostedDep, SignedInDep, error_page, forbidden_page, form_value, render_page, templates
from serving.ui.team_view import with_viewer

log = logging.getLogger("soi.review_page")
ReviewId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
ListingId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
router = APIRouter(include_in_schema=False)
templates.env.tests["lead"] = is_lead  # the templates ask ``role is lead``


@router.post("/review/next")
def next_listing(request: Request, db: DatabaseDep, settings: SettingsDep, posted: PostedDep) -> Response:
    """J: claim the next listing of the (filtered) queue below the one the reviewer is on, and open it."""
    principal = posted.session.principal
    raw_after = form_value(posted.form, "after")
    after = int(raw_after) if raw_after.isdigit() and len(raw_after) < 19 else None
    query = parse_queue_query(request.query_params)
    where = with_viewer(query.where, principal)
    claimed = team.claim_next(db, settings, where, caller=principal, n=1, after=after)
    suffix = f"?{query.query_string}" if query.query_string else ""
    if not claimed:
        return RedirectResponse(f"/review/queue{suffix}", status_code=303)
    return RedirectResponse(f"/review/listings/{claimed[0].listing_id}{suffix}", status_code=303)


@router.post("/review/listings/{listing_id}/claim")
def keep(listing_id: ListingId, db: DatabaseDep, settings: SettingsDep, posted: PostedDep) -> Response:
    """The page's heartbeat while the reviewer stays on a listing: renew their lease (204; 409 if lost)."""
    claim = team.keep_claim(db, settings, listing_id, caller=posted.session.principal)
    held = claim is not None and claim.claimed_by == posted.session.principal.name
    return Response(status_code=204 if held else 409)


@router.post("/review/reviews/{review_id}/retract")
def retract(
    request: Request, review_id: ReviewId, db: DatabaseDep, settings: SettingsDep, posted: PostedDep
) -> Response:
    """U: withdraw the review just saved; the listing returns to the queue as it was."""
    try:
        retraction = team.retract_review(db, settings, review_id, caller=posted.session.principal)
    except ReviewRefused:
        retraction = None
    if retraction is None:
        message = (
            f"Không hoàn tác được: chỉ người duyệt rút lại được đánh giá của mình, trong {settings.undo_s:g} giây "
            "sau khi lưu và khi chưa có đánh giá nào mới hơn. Hãy lưu một đánh giá sửa lại thay vào đó."
        )
        return error_page(request, "Không hoàn tác được", message, 409)
    query = parse_queue_query(request.query_params)
    target = f"/review/listings/{retraction.listing_id}?" + urlencode({**filled(query.values), "undone": "1"})
    return RedirectResponse(target, status_code=303)


@router.get("/review/team")
def team_page(request: Request, db: DatabaseDep, settings: SettingsDep, review_session: SignedInDep) -> Response:
    """Leads: every reviewer's agreement, throughput, overrides and training standing."""
    if not is_lead(review_session.principal.role):
        message = "Trang này dành cho trưởng nhóm duyệt (khóa vai trò lead)."
        return error_page(request, "Không có quyền", message, 403)
    stats = team.reviewer_stats(db, settings)
    cleared = request.query_params.get("cleared", "")[:200]
    context = {"session": review_session, "stats": stats, "cleared": cleared}
    return render_page(request, "team.html", context)


@router.post("/review/team/clear")
def clear(request: Request, db: DatabaseDep, settings: SettingsDep, posted: PostedDep) -> Response:
    """Leads: clear a reviewer (measured afresh from now); recorded with the lead's name and note."""
    principal, form = posted.session.principal, posted.form
    if not is_lead(principal.role):
        return forbidden_page(request)
    reviewer = form_value(form, "reviewer")[:200]
    note = form_value(form, "note").strip()[: settings.max_note_chars] or None
    if not is_storable_text(reviewer) or not is_storable_text(note or ""):
        reviewer = ""  # a NUL character is nobody's name, and no note may hold one: refused below
    cleared = team.clear_reviewer(db, reviewer, caller=principal, note=note) if reviewer else None
    if cleared is None:
        return error_page(request, "Không tìm thấy", "Không có người duyệt này.", 404)
    log.info("reviewer cleared", extra={"reviewer": reviewer, "lead": principal.name})
    return RedirectResponse("/review/team?" + urlencode({"cleared": reviewer}), status_code=303)
