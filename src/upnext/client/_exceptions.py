"""Exceptions the SDK raises: one per problem+json status, plus transport failures."""

from __future__ import annotations

from typing import Any

import httpx

from upnext.client._models import FieldError


class UpNextError(Exception):
    """Base of every exception the SDK raises."""


class APIConnectionError(UpNextError):
    """The server could not be reached, or the connection broke (after any retries)."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The server did not answer within the timeout."""


class APIStatusError(UpNextError):
    """The server answered with an error status; the problem+json fields are attributes."""

    status: int
    code: str
    title: str
    detail: str
    errors: list[FieldError]

    def __init__(self, response: httpx.Response, body: dict[str, Any]) -> None:
        self.response = response
        self.body = body
        self.status = response.status_code
        self.code = str(body.get("code", "unknown"))
        self.title = str(body.get("title", response.reason_phrase))
        self.detail = str(body.get("detail", ""))
        raw_errors = body.get("errors")
        self.errors = (
            [FieldError.model_validate(e) for e in raw_errors if isinstance(e, dict)]
            if isinstance(raw_errors, list)
            else []
        )
        super().__init__(f"{self.status} {self.code}: {self.detail or self.title}")


class BadRequestError(APIStatusError):
    """400: malformed JSON, ids or paging parameters."""


class AuthenticationError(APIStatusError):
    """401: a missing, unknown or revoked key."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404."""


class ConflictError(APIStatusError):
    """409: a conflict with the current state."""


class PayloadTooLargeError(APIStatusError):
    """413."""


class UnprocessableEntityError(APIStatusError):
    """422: a field is missing or wrong; ``errors`` names each one."""


class RateLimitError(APIStatusError):
    """429, after any retries."""


class InternalServerError(APIStatusError):
    """5xx, after any retries."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_for(response: httpx.Response) -> APIStatusError:
    """The exception for an error response, whether or not its body is problem+json."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"detail": response.text[:500]}
    status = response.status_code
    cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    return cls(response, body)
