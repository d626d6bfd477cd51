"""Prometheus metrics of the service, and the functions other modules call to record them.

Every metric is described in docs/operations.md. With several worker processes
(``upnext serve --workers N``) ``PROMETHEUS_MULTIPROC_DIR`` is set and each scrape adds up
the values of all processes.
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

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Route templates, not raw paths, label the HTTP metrics: ids in paths would make the number
# of series unbounded.
REQUESTS = Counter(
    "upnext_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "upnext_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter(
    "upnext_rate_limited_total", "Requests refused with 429 because a key used up its quota."
)
WEBHOOK_QUEUE = Gauge(
    "upnext_webhook_queue_depth",
    "Webhook deliveries waiting to be sent (status pending), read at scrape time.",
    multiprocess_mode="max",
)
WEBHOOK_ATTEMPTS = Counter(
    "upnext_webhook_attempts_total",
    "Webhook delivery attempts by outcome: delivered, retry (will be tried again), failed "
    "(gave up), error (no HTTP answer).",
    ["outcome"],
)
WEBHOOK_LATENCY = Histogram(
    "upnext_webhook_attempt_duration_seconds",
    "Time a receiver took to answer a webhook attempt.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)
DB_POOL = Gauge(
    "upnext_db_pool_connections",
    "Database connections of this process by state: in_use, idle, size (configured).",
    ["pool", "state"],
    multiprocess_mode="liveall",
)


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def record_rate_limited() -> None:
    RATE_LIMITED.inc()


def record_webhook_attempt(outcome: str, seconds: float | None = None) -> None:
    """For the webhook worker: one attempt's outcome and, if it got an answer, its latency."""
    WEBHOOK_ATTEMPTS.labels(outcome).inc()
    if seconds is not None:
        WEBHOOK_LATENCY.observe(seconds)


def set_webhook_queue_depth(pending: int) -> None:
    WEBHOOK_QUEUE.set(pending)


def set_pool(pool: str, in_use: int, idle: int, size: int) -> None:
    DB_POOL.labels(pool, "in_use").set(in_use)
    DB_POOL.labels(pool, "idle").set(idle)
    DB_POOL.labels(pool, "size").set(size)


def exposition() -> bytes:
    """The text format of every metric, summed over all processes when there are several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
