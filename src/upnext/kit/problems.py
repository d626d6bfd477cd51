"""RFC 9457 problem+json errors: the exception hierarchy services raise and its one renderer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class FieldError:
    """One offending field of a request, named as the client wrote it."""

    field: str
    message: str


class UpNextError(Exception):
    """A failure the client caused or must know about; rendered as problem+json."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.error_code = code or self.code
        self.errors = list(errors)
        self.headers = headers or {}


class BadRequest(UpNextError):
    status = 400
    code = "bad_request"
    title = "Bad request"


class Unauthorized(UpNextError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(UpNextError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(UpNextError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(UpNextError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Invalid(UpNextError):
    status = 422
    code = "validation_failed"
    title = "Validation failed"


class ServiceUnavailable(UpNextError):
    status = 503
    code = "service_unavailable"
    title = "Service unavailable"


def problem_body(
    status: int,
    title: str,
    detail: str,
    code: str,
    errors: Sequence[FieldError] = (),
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return body


def problem_response(
    status: int,
    title: str,
    detail: str,
    code: str,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        orjson.dumps(problem_body(status, title, detail, code, errors)),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def render(error: UpNextError) -> Response:
    return problem_response(
        error.status, error.title, error.detail, error.error_code, error.errors, error.headers
    )
