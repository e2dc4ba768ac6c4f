"""The review page's case views under ``/review/cases``: the case queue, a case page, its review form and its
evidence download. They call ``serving.cases`` (what the JSON API calls), with the same sign-in, Origin and
CSRF checks as the listing pages (``serving.ui.pages``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from model.schema import PLATFORMS
from serving import cases, evidence
from serving.case_schemas import CaseDetail
from serving.deps import DatabaseDep, SettingsDep
from serving.limits import RequestModelsDep
from serving.settings import Settings
from serving.storage.cases import CaseCursor
from serving.storage.db import Database
from serving.ui.filters import filled, parse_case_query
from serving.ui.pages import PostedDep, SignedInDep, error_page, form_value, note_refused, render_page
from serving.ui.session import ReviewSession

CaseId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
CASE_PAGE_SIZE = 50
KIND_VI = {
    "phone": "Số điện thoại", "bank_account": "Tài khoản ngân hàng", "email": "Thư điện tử", "seller": "Gian hàng",
    "website": "Trang web", "zalo": "Zalo", "telegram": "Telegram", "facebook": "Facebook", "tiktok": "TikTok",
    "instagram": "Instagram", "wechat": "WeChat", "line": "Line", "handle": "Tài khoản (@)",
}  # fmt: skip
router = APIRouter(include_in_schema=False)


def _groups(detail: CaseDetail) -> list[tuple[str, list[tuple[str, list]]]]:
    """Listings grouped by platform, then by seller."""
    by_platform: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for listing in detail.listings:
        seller = listing.seller_id or listing.seller_name or "không rõ người bán"
        by_platform[listing.platform or "không rõ nền tảng"][seller].append(listing)
    return [(platform, sorted(sellers.items())) for platform, sellers in sorted(by_platform.items())]


def _no_case(request: Request, case_id: int) -> Response:
    return error_page(request, "Không tìm thấy", f"Không có vụ việc số {case_id}.", 404)


@router.get("/review/cases")
def case_queue(request: Request, db: DatabaseDep, review_session: SignedInDep) -> Response:
    values, where, errors = parse_case_query(request.query_params)
    cursor = None
    if request.query_params.get("cursor"):
        try:
            cursor = CaseCursor.decode(request.query_params["cursor"][:512])
        except ValueError:
            errors.append("Liên kết trang không hợp lệ: hiển thị từ đầu.")
    page = cases.load_case_page(db, where, limit=CASE_PAGE_SIZE, cursor=cursor)
    next_url = "/review/cases?" + urlencode({**filled(values), "cursor": page.next_cursor})
    context = {"session": review_session, "values": values, "errors": errors, "page": page,
               "query": urlencode(filled(values)), "next_url": next_url if page.next_cursor else None,
               "first_page": cursor is None, "platforms": PLATFORMS}  # fmt: skip
    return render_page(request, "cases.html", context)


def render_case(
    request: Request,
    db: Database,
    settings: Settings,
    review_session: ReviewSession,
    case_id: int,
    *,
    note: str = "",
    form_error: str | None = None,
) -> Response:
    """The case page (404 page for an unknown case; a merged case redirects to the one it joined)."""
    detail = cases.load_case(db, request.app.state.case_linker, case_id, show_identifiers=True)
    if detail is None:
        return _no_case(request, case_id)
    if detail.case_id != case_id:
        return RedirectResponse(f"/review/cases/{detail.case_id}", status_code=303)
    identifiers = detail.identifiers or []
    context = {"session": review_session, "detail": detail, "groups": _groups(detail), "kind_vi": KIND_VI,
               "shared": [i for i in identifiers if i.shared], "others": [i for i in identifiers if not i.shared],
               "saved": request.query_params.get("saved"), "form_error": form_error, "note": note,
               "max_note_chars": settings.max_note_chars}  # fmt: skip
    return render_page(request, "case.html", context, 422 if form_error else 200)


@router.get("/review/cases/{case_id}")
def case_page(
    request: Request, case_id: CaseId, db: DatabaseDep, settings: SettingsDep, review_session: SignedInDep
) -> Response:
    return render_case(request, db, settings, review_session, case_id)


@router.post("/review/cases/{case_id}/reviews")
def case_review_form(
    request: Request,
    case_id: CaseId,
    db: DatabaseDep,
    settings: SettingsDep,
    models: RequestModelsDep,
    posted: PostedDep,
) -> Response:
    note = form_value(posted.form, "note").strip()
    try:
        review = models.case_review(labels=posted.form.get("label", []), note=note or None)
    except (ValidationError, ValueError):
        error = note_refused(settings)
        return render_case(request, db, settings, posted.session, case_id, note=note, form_error=error)
    stored = cases.review_case(db, case_id, caller=posted.session.principal, labels=review.labels,
                               note=review.note, listing_ids=None)  # fmt: skip
    if stored is None:
        return render_case(request, db, settings, posted.session, case_id)
    return RedirectResponse(f"/review/cases/{stored.case_id}?saved={len(stored.review_ids)}", status_code=303)


@router.get("/review/cases/{case_id}/evidence")
def case_evidence(request: Request, case_id: CaseId, db: DatabaseDep, _review_session: SignedInDep) -> Response:
    state = request.app.state
    bundle = evidence.build_case_bundle(db, state.case_linker, state.evidence_signer, case_id)
    if bundle is None:
        return _no_case(request, case_id)
    headers = {
        "Content-Disposition": f'attachment; filename="soi-vu-viec-{bundle.case_id}.zip"',
        "Cache-Control": "no-store",
    }
    return Response(content=bundle.data, media_type="application/zip", headers=headers)
