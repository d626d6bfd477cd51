"""Request body caps, applied before any handler reads the body."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Message, Receive, Scope

from upnext.kit.problems import problem_response


class BodyTooLarge(HTTPException):
    """Raised while a body is read past its cap; an HTTPException so that frameworks that
    wrap body-parsing errors pass it through to the problem+json handler untouched."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _detail(limit))


def _detail(limit: int) -> str:
    return f"The request body exceeds the limit of {limit} bytes for this endpoint."


def declared_too_large(scope: Scope, limit: int) -> Response | None:
    """The ``413`` for a request whose ``Content-Length`` is over ``limit``, if it is."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            if value.isdigit() and int(value) > limit:
                return problem_response(
                    413, "Payload too large", _detail(limit), "payload_too_large"
                )
            break
    return None


def capped(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises ``BodyTooLarge`` once the bytes streamed pass ``limit``, so
    that a chunked upload cannot slip past a cap it did not declare."""
    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return limited_receive
