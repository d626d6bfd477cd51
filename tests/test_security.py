"""Security basics: CORS only when configured, browser security headers on the portal."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import ADMIN
from upnext.app import create_app
from upnext.settings import Settings

ORIGIN = "https://console.example.com"


async def test_no_cors_headers_by_default(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/admin/apps", auth=ADMIN, headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in r.headers
    preflight = await client.options(
        "/v1/admin/apps",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(("origin", "allowed"), [(ORIGIN, True), ("https://evil.example", False)])
async def test_cors_for_configured_origins_only(
    settings: Settings, origin: str, allowed: bool
) -> None:
    configured: FastAPI = create_app(settings.model_copy(update={"cors_origins": ORIGIN}))
    async with configured.router.lifespan_context(configured):
        transport = httpx.ASGITransport(app=configured)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.options(
                "/v1/admin/apps",
                headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
            )
            assert (r.headers.get("access-control-allow-origin") == origin) is allowed
            r = await client.get("/v1/admin/apps", auth=ADMIN, headers={"Origin": origin})
            assert r.status_code == 200
            assert (r.headers.get("access-control-allow-origin") == origin) is allowed


async def test_portal_pages_carry_browser_security_headers(client: httpx.AsyncClient) -> None:
    r = await client.get("/portal/")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"]  # the portal may choose a stricter or looser one


async def test_api_responses_are_not_sniffed(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/admin/apps", auth=ADMIN)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in r.headers


async def test_an_unexpected_error_is_a_problem_without_a_trace(settings: Settings) -> None:
    application = create_app(settings)

    async def explode() -> None:
        raise RuntimeError("internal detail: /srv/upnext/secret.py line 7")

    application.add_api_route("/explode", explode)  # a bug, as any endpoint could have
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.get("/explode")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "internal"
    assert "internal detail" not in r.text and "Traceback" not in r.text
    # Answered by Starlette's error middleware, inside the edge layer: still identified.
    assert len(r.headers["x-request-id"]) == 32
    assert r.headers["x-content-type-options"] == "nosniff"
