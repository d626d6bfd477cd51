"""OpenAPI fragments shared by endpoints: documented error responses, and a way for
middleware to document what routes do not declare themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel


class ProblemField(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem: every error the API returns has this shape."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemField] | None = None


_DESCRIPTIONS = {
    400: "Malformed request: bad JSON, ids or paging parameters",
    401: "Missing, unknown or revoked key",
    403: "The key may not do this",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Request body too large",
    422: "A field is missing or wrong",
    503: "The database is unavailable; retry after Retry-After seconds",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for FastAPI: the given statuses plus 400/401/403, as problem+json."""
    return problems(400, 401, 403, *statuses)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for FastAPI: exactly the given statuses, as problem+json."""
    codes = sorted(set(statuses))
    return {
        code: {
            "model": Problem,
            "description": _DESCRIPTIONS[code],
            "content": {"application/problem+json": {}},
        }
        for code in codes
    }


class Message(BaseModel):
    message: str = "Success"


Operation = dict[str, Any]


def edit_operations(app: FastAPI, edit: Callable[[str, str, Operation], None]) -> None:
    """Call ``edit(path, method, operation)`` on every operation of the app's schema, once,
    when it is first built: for middleware that adds headers or answers no route declares."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                edit(path, method, operation)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
