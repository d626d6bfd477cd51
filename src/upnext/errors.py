"""Exception handlers: every failure leaves as problem+json, never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.responses import Response

from upnext.kit.openapi import Document, edit_document, path_index, problem, problems_only
from upnext.kit.problems import FieldError, UpNextError, problem_response, render

log = logging.getLogger("upnext")

_TITLES = {
    400: ("Bad request", "bad_request"),
    401: ("Unauthorized", "unauthorized"),
    404: ("Not found", "not_found"),
    405: ("Method not allowed", "method_not_allowed"),
    413: ("Payload too large", "payload_too_large"),
}
_BASIC = {"WWW-Authenticate": 'Basic realm="upnext"'}


def _field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path") else []
    return ".".join(parts) or (str(loc[0]) if loc else "body")


def _message(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown parameter" if error["loc"][:1] == ("query",) else "unknown field"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


async def on_validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(e["type"] == "json_invalid" for e in raw):
        return problem_response(400, "Bad request", "The body is not valid JSON.", "malformed_json")
    fields = [FieldError(_field(e["loc"]), _message(e)) for e in raw]
    in_body = any(e["loc"] and e["loc"][0] == "body" for e in raw)
    if not in_body:
        names = ", ".join(f.field for f in fields)
        detail = f"Invalid path or query parameter: {names}."
        return problem_response(400, "Bad request", detail, "invalid_parameter", fields)
    names = ", ".join(dict.fromkeys(f.field for f in fields))
    return problem_response(
        422, "Validation failed", f"Invalid fields: {names}.", "validation_failed", fields
    )


async def on_upnext_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, UpNextError)
    response = render(exc)
    if exc.status == 401:
        response.headers.update(_BASIC)
    return response


def allowed_methods(request: Request) -> str:
    """The documented methods of the request's path: Starlette's 405 lists only those of
    the first route whose path matched, and several routes share a path here."""
    return ", ".join(sorted(path_index(request.app).methods(request.url.path)))


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title, code = _TITLES.get(exc.status_code, ("Error", "error"))
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.update(_BASIC)
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    detail = str(exc.detail) if exc.detail else title
    return problem_response(exc.status_code, title, detail, code, headers=headers)


async def on_integrity_error(_: Request, exc: Exception) -> Response:
    # Two requests raced to create the same object; the loser may simply retry.
    log.info("integrity conflict: %s", type(exc).__name__)
    return problem_response(
        409, "Conflict", "A concurrent request changed the same object; retry.", "conflict"
    )


async def on_database_error(_: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", exc.__class__.__name__)
    return problem_response(
        503,
        "Service unavailable",
        "The database is unavailable; retry shortly.",
        "database_unavailable",
        headers={"Retry-After": "1"},
    )


async def on_unexpected(_: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(500, "Internal error", "An unexpected error occurred.", "internal")


def document(document: Document) -> None:
    """What these handlers send, in the OpenAPI document: every error is problem+json,
    and any operation that reads the database may be 503."""
    problems_only(document)
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path != "/metrics":  # serves its other metrics when the database is down
                operation["responses"].setdefault("503", problem(503))


def install(app: FastAPI) -> None:
    edit_document(app, document)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(UpNextError, on_upnext_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(IntegrityError, on_integrity_error)
    for unavailable in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(unavailable, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)
