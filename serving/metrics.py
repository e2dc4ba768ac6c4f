"""Prometheus metrics: requests by route and status, latency, listings scored by priority, the model version.

With several uvicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before start (``make serve
WORKERS=n`` does): every worker then writes its samples there and ``/metrics`` adds them up.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("soi_http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
LATENCY = Histogram(
    "soi_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
LISTINGS_SCORED = Counter(
    "soi_listings_scored_total", "Listings scored, by priority and model version.", ["priority", "model_version"]
)
MODEL_INFO = Gauge(
    "soi_model_info", "1 for the model version this process serves.", ["model_version"], multiprocess_mode="livemax"
)
DB_UNAVAILABLE = Counter("soi_database_unavailable_total", "Requests answered 503 because the database was down.")
# HTTP methods counted by name; any other (clients may send any token) is counted as "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def metric_method(method: str) -> str:
    """The method as a metric label: one of ``KNOWN_METHODS`` or ``other``, never what the client invented."""
    return method if method in KNOWN_METHODS else "other"


def set_model_version(old: str | None, new: str) -> None:
    """Point the model-info gauge at the newly loaded version."""
    if old and old != new:
        MODEL_INFO.labels(model_version=old).set(0)
    MODEL_INFO.labels(model_version=new).set(1)


def render_metrics() -> tuple[bytes, str]:
    """The exposition text (all workers' samples in multiprocess mode) and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
