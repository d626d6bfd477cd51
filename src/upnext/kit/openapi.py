"""OpenAPI fragments shared by endpoints: documented error responses, and a way for
middleware to document what routes do not declare themselves."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from upnext.kit.problems import PROBLEM_JSON


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


PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
PUBLIC: dict[str, Any] = {"security": []}
"""``openapi_extra=`` of a route that needs no key: its operation says so."""

_DESCRIPTIONS = {
    400: "Malformed request: bad JSON, ids, unknown or invalid query parameters",
    401: "Missing, unknown or revoked key",
    403: "The key may not do this",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Request body too large",
    422: "A field is missing or wrong",
    429: "Too many requests for this key; retry after Retry-After seconds",
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


def problem(status: int, description: str | None = None) -> dict[str, Any]:
    """One OpenAPI response object: a problem+json document with ``status``."""
    return {
        "description": description or _DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }


class Message(BaseModel):
    message: str = "Success"


Operation = dict[str, Any]
Document = dict[str, Any]


def edit_document(app: FastAPI, edit: Callable[[Document], None]) -> None:
    """Call ``edit(document)`` on the app's OpenAPI document, once, when it is first built."""
    generate = app.openapi

    def openapi() -> Document:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        edit(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def edit_operations(app: FastAPI, edit: Callable[[str, str, Operation], None]) -> None:
    """Call ``edit(path, method, operation)`` on every operation of the app's schema, once,
    when it is first built: for middleware that adds headers or answers no route declares."""

    def each(document: Document) -> None:
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                edit(path, method, operation)

    edit_document(app, each)


_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def problems_only(document: Document) -> None:
    """Make every error response of the document what the handlers send: problem+json.

    FastAPI documents a ``responses=`` model under ``application/json`` and adds its own
    ``422`` (``HTTPValidationError``) to every operation with parameters. The handlers in
    ``upnext.errors`` answer a bad path or query with ``400`` and a bad body with ``422``,
    always as problem+json: so the 422 stays only where there is a body, and every
    request with a body may also be ``413``.
    """
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = operation["responses"]
            if _is_fastapi_422(responses.get("422")):
                del responses["422"]
            if "requestBody" in operation:
                responses.setdefault("413", problem(413))
                responses.setdefault("422", problem(422))
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}
    schemas = document.get("components", {}).get("schemas", {})
    for name in _VALIDATION_SCHEMAS:
        schemas.pop(name, None)


def _is_fastapi_422(response: dict[str, Any] | None) -> bool:
    if response is None:
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


class PathIndex:
    """Which methods the document lists for a concrete request path. As OpenAPI matches
    paths, a literal segment wins over a template: ``/c1/items`` is the path
    ``/{context_id}/items``, not ``/{context_id}/{content_id}``."""

    def __init__(self, document: Document) -> None:
        self._paths = []
        for template, operations in document["paths"].items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            templated = tuple(part.startswith("{") for part in template.split("/"))
            methods = frozenset(m.upper() for m in operations)
            self._paths.append((re.compile(pattern), templated, methods))

    def methods(self, path: str) -> frozenset[str]:
        matches = [(t, ms) for regex, t, ms in self._paths if regex.fullmatch(path)]
        if not matches:
            return frozenset()
        best = min(templated for templated, _ in matches)
        return frozenset(m for templated, ms in matches if templated == best for m in ms)


def path_index(app: FastAPI) -> PathIndex:
    """The app's ``PathIndex``, built from its document at first use."""
    index: PathIndex | None = getattr(app.state, "path_index", None)
    if index is None:
        index = app.state.path_index = PathIndex(app.openapi())
    return index
