"""The review page's case views under ``/review/cases``: the case queue, a case page, its review form and its
evidence download. They call ``serving.cases`` (what the JSON API calls), with the same sign-in, Origin and
CSRF checks as the listing pages."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from model.labels import review_labels
from serving import cases, evidence
from serving.case_schemas import CaseDetail, make_case_review_model
from serving.deps import DatabaseDep
from serving.settings import Settings
from serving.storage.cases import CaseCursor, CaseFilter
from serving.ui import format as fmt
from serving.ui.routes import _forbidden, _form, _page, _settings_session, _to_signin
from serving.ui.session import csrf_matches, same_origin

CaseId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
CASE_PAGE_SIZE = 50
KIND_VI = {
    "phone": "Số điện thoại", "bank_account": "Tài khoản ngân hàng", "email": "Thư điện tử", "seller": "Gian hàng",
    "website": "Trang web", "zalo": "Zalo", "telegram": "Telegram", "facebook": "Facebook", "tiktok": "TikTok",
    "instagram": "Instagram", "wechat": "WeChat", "line": "Line", "handle": "Tài khoản (@)",
}  # fmt: skip


def _case_filter(params: Any) -> tuple[dict[str, str], CaseFilter, list[str]]:
    """The queue's filters as typed (to refill the form) and as parsed; a bad value is dropped with a note."""
    values = {name: (params.get(name) or "").strip()[:64] for name in ("label", "platform", "min_listings")}
    errors = []
    if values["label"] and values["label"] not in review_labels():
        errors.append("Nhãn không có trong danh mục: bỏ qua.")
        values["label"] = ""
    size = 2
    if values["min_listings"]:
        if values["min_listings"].isdigit() and 1 <= int(values["min_listings"]) <= 100_000:
            size = int(values["min_listings"])
        else:
            errors.append("Số tin tối thiểu không hợp lệ: bỏ qua.")
            values["min_listings"] = ""
    where = CaseFilter(label=values["label"] or None, platform=values["platform"] or None, min_listings=size)
    return values, where, errors


def _groups(detail: CaseDetail) -> list[tuple[str, list[tuple[str, list]]]]:
    """Listings grouped by platform, then by seller."""
    by_platform: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for listing in detail.listings:
        seller = listing.seller_id or listing.seller_name or "không rõ người bán"
        by_platform[listing.platform or "không rõ nền tảng"][seller].append(listing)
    return [(platform, sorted(sellers.items())) for platform, sellers in sorted(by_platform.items())]


def build_router(settings: Settings) -> APIRouter:
    """The case views."""
    router = APIRouter(include_in_schema=False)
    review_model = make_case_review_model(settings.max_note_chars)

    @router.get("/review/cases")
    def case_queue(request: Request, db: DatabaseDep) -> Response:
        review_session = _settings_session(request, db, settings)
        if review_session is None:
            return _to_signin(request)
        values, where, errors = _case_filter(request.query_params)
        cursor = None
        if request.query_params.get("cursor"):
            try:
                cursor = CaseCursor.decode(request.query_params["cursor"][:512])
            except ValueError:
                errors.append("Liên kết trang không hợp lệ: hiển thị từ đầu.")
        page = cases.load_case_page(db, where, limit=CASE_PAGE_SIZE, cursor=cursor)
        query = urlencode({k: v for k, v in values.items() if v})
        next_url = "/review/cases?" + urlencode({**{k: v for k, v in values.items() if v}, "cursor": page.next_cursor})
        context = {"session": review_session, "values": values, "errors": errors, "page": page, "query": query,
                   "next_url": next_url if page.next_cursor else None, "first_page": cursor is None,
                   "platforms": fmt.PLATFORMS}  # fmt: skip
        return _page(request, "cases.html", context)

    def render_case(
        request: Request, db: Any, review_session: Any, case_id: int, *, note: str = "", form_error: str | None = None
    ) -> Response:
        detail = cases.load_case(db, request.app.state.case_linker, case_id, show_identifiers=True)
        if detail is None:
            message = f"Không có vụ việc số {case_id}."
            return _page(request, "error.html", {"title": "Không tìm thấy", "message": message}, 404)
        if detail.case_id != case_id:
            return RedirectResponse(f"/review/cases/{detail.case_id}", status_code=303)
        identifiers = detail.identifiers or []
        context = {"session": review_session, "detail": detail, "groups": _groups(detail), "kind_vi": KIND_VI,
                   "shared": [i for i in identifiers if i.shared], "others": [i for i in identifiers if not i.shared],
                   "saved": request.query_params.get("saved"), "form_error": form_error, "note": note,
                   "max_note_chars": settings.max_note_chars}  # fmt: skip
        return _page(request, "case.html", context, 422 if form_error else 200)

    @router.get("/review/cases/{case_id}")
    def case_page(request: Request, case_id: CaseId, db: DatabaseDep) -> Response:
        review_session = _settings_session(request, db, settings)
        if review_session is None:
            return _to_signin(request)
        return render_case(request, db, review_session, case_id)

    @router.post("/review/cases/{case_id}/reviews")
    async def case_review_form(request: Request, case_id: CaseId, db: DatabaseDep) -> Response:
        review_session = _settings_session(request, db, settings)
        if review_session is None:
            return _to_signin(request)
        form = await _form(request)
        if not same_origin(request) or not csrf_matches(review_session, (form.get("csrf") or [""])[0]):
            return _forbidden(request)
        note = (form.get("note") or [""])[0].strip()
        try:
            review = review_model(labels=form.get("label", []), note=note or None)
        except (ValidationError, ValueError):
            error = f"Chưa lưu: nhãn không hợp lệ hoặc ghi chú dài quá {settings.max_note_chars} ký tự."
            return render_case(request, db, review_session, case_id, note=note, form_error=error)
        stored = cases.review_case(db, case_id, caller=review_session.principal, labels=review.labels, note=review.note,
                                   listing_ids=None)  # fmt: skip
        if stored is None:
            return render_case(request, db, review_session, case_id)
        return RedirectResponse(f"/review/cases/{stored.case_id}?saved={len(stored.review_ids)}", status_code=303)

    @router.get("/review/cases/{case_id}/evidence")
    def case_evidence(request: Request, case_id: CaseId, db: DatabaseDep) -> Response:
        review_session = _settings_session(request, db, settings)
        if review_session is None:
            return _to_signin(request)
        state = request.app.state
        bundle = evidence.build_case_bundle(db, state.case_linker, state.evidence_signer, case_id)
        if bundle is None:
            message = f"Không có vụ việc số {case_id}."
            return _page(request, "error.html", {"title": "Không tìm thấy", "message": message}, 404)
        headers = {
            "Content-Disposition": f'attachment; filename="soi-vu-viec-{bundle.case_id}.zip"',
            "Cache-Control": "no-store",
        }
        return Response(content=bundle.data, media_type="application/zip", headers=headers)

    return router
