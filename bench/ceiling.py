"""The ceiling of the stack: a raw ASGI app answering ``GET /{size}`` with precomputed bytes.

Served by the same uvicorn, with the same workers, loop and HTTP parser as UpNext, it
measures what the server, the kernel and wrk can do with no application work at all: a
JSON body of ``size`` bytes, built once per size and reused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_bodies: dict[int, bytes] = {}


def body_of(size: int) -> bytes:
    """A JSON document of exactly ``size`` bytes (at least the 12 of its frame)."""
    if size not in _bodies:
        filler = "x" * max(size - 12, 0)
        _bodies[size] = f'{{"items":"{filler}"}}'.encode()
    return _bodies[size]


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    segment = scope["path"].strip("/")
    body = body_of(int(segment) if segment.isdigit() and len(segment) < 8 else 0)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
