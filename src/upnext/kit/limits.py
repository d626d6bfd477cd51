"""An ASGI middleware that caps request bodies before any handler reads them."""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from upnext.kit.problems import problem_response


class BodyTooLarge(HTTPException):
    """Raised while a body is read past its cap; an HTTPException so that frameworks that
    wrap body-parsing errors pass it through to the problem+json handler untouched."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _detail(limit))


def _detail(limit: int) -> str:
    return f"The request body exceeds the limit of {limit} bytes for this endpoint."


class BodyLimit:
    """Refuses bodies larger than ``limit_for(path)`` bytes with ``413``.

    Both a declared ``Content-Length`` and the bytes actually streamed are checked, so a
    chunked upload cannot slip past the cap.
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = problem_response(
                413, "Payload too large", _detail(limit), "payload_too_large"
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)
