"""OpenAPI fragments shared by endpoints: documented error responses."""

from __future__ import annotations

from typing import Any

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
