"""What every route of the review page shares: rendering a template with the page's security headers, reading a
posted form, and the sign-in and form checks, written once as dependencies.

``SignedInDep`` is the signed-in reviewer, or a redirect to the sign-in page (``SignInNeeded``); ``PostedDep``
is a form posted by them from this page (same origin, the session's CSRF token), or a 403 page
(``ForeignForm``). ``install_page_errors`` answers both exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from model.labels import review_labels
from serving.deps import DatabaseDep, SettingsDep
from serving.settings import Settings
from serving.ui import format as fmt
from serving.ui.session import ReviewSession, csrf_matches, read_session, same_origin

HERE = Path(__file__).parent
# Content-Security-Policy: only this server's own script and style, no inline code, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(
    price=fmt.format_price_vnd, vntime=fmt.format_time, percent=fmt.format_percent, priority_vi=fmt.PRIORITY_VI.get
)


def render_page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A template of the page, with the label list every template reads and the security headers."""
    response = templates.TemplateResponse(
        request, name, {"labels": review_labels(), **context}, status_code=status_code
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(request: Request, title: str, message: str, status_code: int) -> Response:
    """The page's error page."""
    return render_page(request, "error.html", {"title": title, "message": message}, status_code)


def forbidden_page(request: Request) -> Response:
    """403 for a form that did not come from this page."""
    message = "Yêu cầu bị từ chối: biểu mẫu không đến từ trang này. Hãy tải lại trang và thử lại."
    return error_page(request, "Yêu cầu bị từ chối", message, 403)


def redirect_to_signin(request: Request) -> RedirectResponse:
    """To the sign-in page, which comes back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/review/signin?{urlencode({'next': target})}", status_code=303)


async def read_form(request: Request) -> dict[str, list[str]]:
    """The posted urlencoded form, each field's values. A dependency, so that the routes reading a form are plain
    functions, run off the event loop with their database work."""
    # urlencoded forms only (the page sends nothing else); the middleware has already capped the body size
    body = (await request.body()).decode("utf-8", errors="replace")
    fields: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=64)
    except ValueError:  # more fields than any form of the page has: read as an empty form, which is refused
        return fields
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    return fields


FormDep = Annotated[dict[str, list[str]], Depends(read_form)]


def form_value(form: dict[str, list[str]], name: str) -> str:
    """A form field's first value ("" when absent)."""
    return (form.get(name) or [""])[0]


def note_refused(settings: Settings) -> str:
    """What the page says of a review form whose labels or note were refused."""
    return f"Chưa lưu: nhãn không hợp lệ hoặc ghi chú dài quá {settings.max_note_chars} ký tự."


class SignInNeeded(Exception):
    """No reviewer is signed in: answered with a redirect to the sign-in page."""


class ForeignForm(Exception):
    """A form that did not come from this page (another origin, or not the session's CSRF token): 403."""


def current_session(request: Request, db: DatabaseDep, settings: SettingsDep) -> ReviewSession | None:
    """The signed-in reviewer of the request, or None."""
    return read_session(request, db, secret=request.app.state.session_secret, auth_disabled=settings.auth_disabled)


def signed_in(review_session: Annotated[ReviewSession | None, Depends(current_session)]) -> ReviewSession:
    """The signed-in reviewer; ``SignInNeeded`` when there is none."""
    if review_session is None:
        raise SignInNeeded
    return review_session


SignedInDep = Annotated[ReviewSession, Depends(signed_in)]


@dataclass(frozen=True)
class Posted:
    """A form posted by a signed-in reviewer from this page."""

    session: ReviewSession
    form: dict[str, list[str]]


def posted(request: Request, review_session: SignedInDep, form: FormDep) -> Posted:
    """The signed-in reviewer and their form; ``ForeignForm`` when it did not come from this page."""
    if not same_origin(request) or not csrf_matches(review_session, form_value(form, "csrf")):
        raise ForeignForm
    return Posted(session=review_session, form=form)


PostedDep = Annotated[Posted, Depends(posted)]


def install_page_errors(app: FastAPI) -> None:
    """Answer ``SignInNeeded`` with the sign-in redirect and ``ForeignForm`` with the 403 page."""

    async def to_signin(request: Request, _exc: Exception) -> Response:
        return redirect_to_signin(request)

    async def refuse(request: Request, _exc: Exception) -> Response:
        return forbidden_page(request)

    app.add_exception_handler(SignInNeeded, to_signin)
    app.add_exception_handler(ForeignForm, refuse)
