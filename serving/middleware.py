"""One pure-ASGI middleware for every request: request id, body size limit, metrics, the access log, and the
answer to our own bugs (a 500 whose body and ``X-Request-ID`` header carry the request id, and whose traceback
line in the log carries it too: this runs inside the request's context, which Starlette's outermost error
handler does not).

Pure ASGI (not ``BaseHTTPMiddleware``) so that it costs microseconds and streams bodies untouched. Metric labels
take only known values (the route's template, a standard method), so no client can add time series.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.errors import internal_error_body, log_internal_error
from serving.logs import request_id_var
from serving.metrics import LATENCY, REQUESTS, metric_method

log = logging.getLogger("soi.access")
REQUEST_ID_HEADER = "x-request-id"
# an incoming id is echoed only when it is short and plain, so it cannot forge log lines or headers
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestContextMiddleware:
    """Tags the request with an id (``X-Request-ID``), refuses bodies over ``max_body_bytes`` with 413,
    and records the route's count and latency and one access log line when the answer is sent."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, REQUEST_ID_HEADER.encode())
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = {"code": 500, "started": False}
        limit = self.max_body_bytes

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        received = {"bytes": 0}

        async def receive_limited() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received["bytes"] += len(message.get("body", b""))
                if received["bytes"] > limit:
                    # FastAPI passes HTTPException through body parsing untouched (others become 400)
                    raise HTTPException(413, f"request body over {limit} bytes")
            return message

        try:
            declared = _header(scope, b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await _send_json(send_with_id, 413, b'{"detail":"request body over %d bytes"}' % limit)
            else:
                await self.app(scope, receive_limited, send_with_id)
        except Exception as exc:  # our bug: logged here, where the request id is still set
            log_internal_error(exc)
            if status["started"]:
                raise  # too late for a 500: the server closes the connection
            status["code"] = 500
            await _send_json(send_with_id, 500, json.dumps(internal_error_body(request_id)).encode())
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "(unmatched)"
            method = metric_method(scope.get("method", ""))
            REQUESTS.labels(method=method, route=route_path, status=str(status["code"])).inc()
            LATENCY.labels(method=method, route=route_path).observe(elapsed)
            extra: dict[str, Any] = {
                "method": method,
                "route": route_path,
                "status": status["code"],
                "duration_ms": round(elapsed * 1000, 2),
            }
            log.info("%s %s %s", method, route_path, status["code"], extra=extra)
            request_id_var.reset(token)


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
