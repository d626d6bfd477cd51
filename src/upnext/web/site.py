"""The portal sub-app: its routes, server-side sessions, static files and HTML errors."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from upnext.kit.headers import SecurityHeaders
from upnext.kit.timestamps import now_us
from upnext.web import art, errors, operator, platform, publisher, signin
from upnext.web.session import SessionMiddleware

# Inline scripts and styles are refused: the templates use none, so injected ones cannot
# run. Posters may be plain http. The Referer stays same-origin: a failed form returns to
# the page it came from. (The parent app adds its other browser headers.)
PORTAL_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' http: https: data: blob:; style-src 'self'; "
        b"script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"referrer-policy", b"same-origin"),
)


def create_portal(parent: FastAPI) -> FastAPI:
    """The portal, sharing ``parent``'s state (settings, database) and thus its services."""
    portal = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    portal.state = parent.state
    parent.state.portal_clock = now_us  # tests replace it to expire sessions
    errors.install(portal)
    for module in (signin, operator, publisher, platform, art):
        portal.include_router(module.router)
    static = Path(__file__).parent / "static"
    portal.mount("/static", StaticFiles(directory=static), name="static")
    portal.add_middleware(SessionMiddleware, state=parent.state)
    portal.add_middleware(SecurityHeaders, headers_for=lambda _path: PORTAL_HEADERS)
    return portal
