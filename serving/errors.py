"""Every error the API answers, translated in one place.

422 for client data (with each field's path), 401/403 for keys and roles, 404, 409, 413 for size, 503 with
``Retry-After`` when the model or the database is not available, and 500 only for our own bugs: the traceback
goes to the log (its line carries the request id), the body and the ``X-Request-ID`` header carry the request id.
Unexpected exceptions are answered by ``serving.middleware``, inside the request's context, with
``internal_error_body``; every other translation is here.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from model.errors import SoiError
from serving.logs import request_id_var
from serving.metrics import DB_UNAVAILABLE
from serving.storage.db import is_unavailable
from serving.storage.review_checks import ReviewRefused

log = logging.getLogger("soi.serving")
T = TypeVar("T")


class ApiError(Exception):
    """An error with its HTTP status and a message for the client."""

    status_code = 400
    headers: dict[str, str] | None = None

    def __init__(self, detail: Any) -> None:
        super().__init__(detail if isinstance(detail, str) else repr(detail))
        self.detail = detail


class Unauthorized(ApiError):
    """No key, or a key that is unknown or revoked."""

    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012 - class constant


class Forbidden(ApiError):
    """A valid key whose role may not do this."""

    status_code = 403


class NotFound(ApiError):
    """No such resource."""

    status_code = 404


def found(value: T | None, missing: str) -> T:
    """``value``, or ``NotFound`` saying what is ``missing`` when it is None."""
    if value is None:
        raise NotFound(missing)
    return value


class Conflict(ApiError):
    """The request is well-formed but the service's state does not allow it (e.g. a model that won't load)."""

    status_code = 409


class ServiceUnavailable(ApiError):
    """The service cannot answer right now (no model loaded, database down); retry later."""

    status_code = 503


def field_errors(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """A 422 body that names each problem's field path and says what was wrong, without echoing input."""
    detail = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        inner = (error.get("ctx") or {}).get("field")
        if isinstance(inner, str) and inner:  # an unknown field's path below the listing (model.schema)
            loc += inner.split(".")
        path = loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
        detail.append(
            {
                "field": ".".join(path) or "(body)",
                "loc": loc,
                "msg": error.get("msg", ""),
                "type": error.get("type", ""),
            }
        )
    return {"detail": detail}


def install_error_handlers(app: FastAPI, *, retry_after_s: int) -> None:
    """Register the translations on ``app``."""
    retry = {"Retry-After": str(retry_after_s)}

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content=field_errors(list(exc.errors())))

    @app.exception_handler(SoiError)
    async def _domain_error(_request: Request, exc: SoiError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={"detail": [{"field": "(body)", "loc": ["body"], "msg": str(exc), "type": "value_error"}]},
        )

    @app.exception_handler(ReviewRefused)
    async def _review_refused(_request: Request, exc: ReviewRefused) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 503:
            headers.update(retry)
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail}, headers=headers)

    @app.exception_handler(sa_exc.SQLAlchemyError)
    async def _database_error(request: Request, exc: sa_exc.SQLAlchemyError) -> JSONResponse:
        if is_unavailable(exc):
            DB_UNAVAILABLE.inc()
            log.warning("database unavailable: %s", str(exc).splitlines()[0][:300], extra={"path": request.url.path})
            return JSONResponse(
                status_code=503,
                content={"detail": "the database is unavailable; nothing was stored, retry later"},
                headers=retry,
            )
        log_internal_error(exc)
        return JSONResponse(status_code=500, content=internal_error_body(request_id_var.get() or ""))


def log_internal_error(exc: BaseException) -> None:
    """The traceback of one of our bugs, in one log line that carries the request id (``serving.logs``)."""
    log.error("internal error: %s", type(exc).__name__, exc_info=exc)


def internal_error_body(request_id: str) -> dict[str, str]:
    """The body of a 500: no detail of the bug, only the id to find its traceback in the log."""
    return {"detail": "internal error", "request_id": request_id}
