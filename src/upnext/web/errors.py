"""HTML error pages of the portal: the API's problem+json errors, rendered for people."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from upnext.kit.problems import UpNextError
from upnext.web.access import SignInRequired
from upnext.web.rendering import base_path, page
from upnext.web.session import session_of

log = logging.getLogger("upnext.portal")


def _back(request: Request) -> str | None:
    """The portal page a form was posted from, to return to with the error shown."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts, own = urlsplit(referer), request.base_url
    if parts.netloc != own.netloc or not parts.path.startswith(base_path(request) + "/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _error(request: Request, status: int, title: str, detail: str) -> Response:
    back = _back(request)
    if request.method == "POST" and back is not None and status < 500:
        session_of(request).add_flash("error", detail)
        return RedirectResponse(back, status_code=303)
    return page(request, "error.html", status, title=title, detail=detail, code=status)


async def on_sign_in_required(request: Request, _: Exception) -> Response:
    target = request.url.path if request.method == "GET" else base_path(request) + "/"
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    return RedirectResponse(f"{base_path(request)}/login?next={quote(target)}", status_code=303)


async def on_upnext_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UpNextError)
    detail = exc.detail
    if exc.errors:
        detail += " " + "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    return _error(request, exc.status, exc.title, detail)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    names = ", ".join(str(e["loc"][-1]) for e in exc.errors() if e.get("loc"))
    return _error(request, 400, "Bad request", f"Missing or invalid form fields: {names}.")


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {404: "Page not found", 405: "Method not allowed", 413: "Upload too large"}
    title = titles.get(exc.status_code, "Error")
    detail = str(exc.detail) if exc.status_code == 413 else title
    return _error(request, exc.status_code, title, detail)


async def on_conflict(request: Request, _: Exception) -> Response:
    return _error(request, 409, "Conflict", "Someone changed the same object at once; retry.")


async def on_database_error(request: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", exc.__class__.__name__)
    return _error(request, 503, "Service unavailable", "The database is unavailable; retry.")


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled portal error", exc_info=exc)
    return _error(request, 500, "Something went wrong", "An unexpected error occurred.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(UpNextError, on_upnext_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(IntegrityError, on_conflict)
    for unavailable in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(unavailable, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)
