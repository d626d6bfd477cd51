"""/readyz and /metrics: readiness apart from liveness, and the Prometheus metrics."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tests.factories import World, make_item
from upnext import metrics
from upnext.webhooks.service import queue_event


async def test_readyz_reports_the_schema_revision(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["status"] == "ready"
    assert r.json()["schema"]


async def test_readyz_is_503_when_the_schema_is_behind(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with app.state.db.write() as conn:
        current = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        await conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        r = await client.get("/readyz")
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "schema_outdated"
        assert "Retry-After" in r.headers
        # Liveness does not depend on the schema: the process is up and the database answers.
        assert (await client.get("/healthz")).status_code == 200
    finally:  # the PostgreSQL test database is shared by the whole run
        async with app.state.db.write() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})


def _sample(exposition: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    prefix = f"{name}{{{wanted}}}" if labels else name
    for line in exposition.splitlines():
        if line.startswith(prefix + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{prefix} not in metrics")


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await world.put_item(app, "ctx-metrics")
    before = (await client.get("/metrics")).text
    label = {"method": "GET", "route": "/v1/contexts/upnext/{context_id}", "status": "200"}
    for _ in range(3):
        assert (await client.get("/v1/contexts/upnext/ctx-metrics", auth=app.auth)).is_success
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    body = r.text
    try:
        start = _sample(before, "upnext_http_requests_total", **label)
    except AssertionError:
        start = 0.0
    assert _sample(body, "upnext_http_requests_total", **label) == start + 3
    assert "ctx-metrics" not in body  # ids never become labels
    count = _sample(
        body,
        "upnext_http_request_duration_seconds_count",
        method="GET",
        route="/v1/contexts/upnext/{context_id}",
    )
    assert count >= 3


async def test_metrics_show_queue_depth_pool_and_webhook_outcomes(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    publisher = await world.app()
    async with app.state.db.write() as conn:
        for _ in range(2):
            await queue_event(conn, publisher.id, "webhook_test", {"app_id": publisher.id})
    metrics.record_webhook_attempt("delivered", 0.12)
    body = (await client.get("/metrics")).text
    assert _sample(body, "upnext_webhook_queue_depth") >= 2
    assert _sample(body, "upnext_webhook_attempts_total", outcome="delivered") >= 1
    assert _sample(body, "upnext_webhook_attempt_duration_seconds_count") >= 1
    assert _sample(body, "upnext_db_pool_connections", pool="writer", state="size") >= 1
    assert "upnext_rate_limited_total" in body


async def test_the_lean_paths_count_under_their_routes_templates(
    client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    await world.put_item(app, "lean-ctx")
    await world.attach(platform, "lean-session", app, "lean-ctx")
    s, c = "/v1/sessions/upnext/", "/v1/contexts/upnext/"
    calls = [
        ("GET", f"{s}lean-session", f"{s}{{session_id}}"),
        ("GET", f"{s}lean-session/lean-ctx", f"{s}{{session_id}}/{{context_id}}"),
        ("GET", f"{s}lean-session/contexts", f"{s}{{session_id}}/contexts"),
        ("PUT", f"{c}lean-ctx", f"{c}{{context_id}}"),
    ]
    before = (await client.get("/metrics")).text
    for method, path, _ in calls:
        auth = app.auth if method == "PUT" else platform.auth
        body = make_item(content_id="again") if method == "PUT" else None
        r = await client.request(method, path, json=body, auth=auth)
        assert r.status_code == 200, r.text
    after = (await client.get("/metrics")).text
    for method, path, route in calls:
        label = {"method": method, "route": route, "status": "200"}
        try:
            start = _sample(before, "upnext_http_requests_total", **label)
        except AssertionError:
            start = 0.0
        assert _sample(after, "upnext_http_requests_total", **label) == start + 1, path
