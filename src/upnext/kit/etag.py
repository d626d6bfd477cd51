"""Strong ETags over JSON bodies and ``If-None-Match`` answered with ``304 Not Modified``.

Endpoints that declare the header use ``cached_json``; ``ConditionalGet`` gives every
other JSON ``GET`` the same behaviour without touching its code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Header
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from upnext.kit.openapi import Operation, edit_operations

IfNoneMatch = Annotated[
    str | None,
    Header(
        description="An ETag of an earlier response: 304 with no body while the list is unchanged.",
        examples=['"5d41402abc4b2a76b9719d911017c592"'],
    ),
]

NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the If-None-Match ETag is still current."}
}


def etag_of(body: bytes) -> str:
    """A strong validator: the body's SHA-256, so equal bytes always carry equal tags."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str, etag: str) -> bool:
    # RFC 9110 13.1.2: If-None-Match uses the weak comparison, so W/ prefixes are ignored.
    if if_none_match.strip() == "*":
        return True
    candidates = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return etag in candidates


def cached_json(content: Any, if_none_match: str | None) -> Response:
    """``content`` as JSON with its ETag, or ``304`` if the client holds that ETag."""
    return cached_body(orjson.dumps(content), if_none_match)


def cached_body(body: bytes, if_none_match: str | None) -> Response:
    """A JSON ``body`` with its ETag, or ``304`` if the client holds that ETag."""
    etag = etag_of(body)
    headers = {"ETag": etag}
    if if_none_match is not None and matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


class ConditionalGet:
    """Adds a body-hash ``ETag`` to ``200`` JSON answers of ``GET``s whose path ``applies``
    and that carry none, and answers ``304`` when ``If-None-Match`` holds it."""

    def __init__(self, app: ASGIApp, applies: Callable[[str], bool]) -> None:
        self.app = app
        self.applies = applies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not self.applies(scope["path"]):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                plain = message["status"] == 200 and "etag" not in headers
                if plain and headers.get("content-type", "").startswith("application/json"):
                    start = message
                    return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await _finish(scope, start, b"".join(chunks), send)
                return
            await send(message)

        await self.app(scope, receive, buffer)


async def _finish(scope: Scope, start: Message, body: bytes, send: Send) -> None:
    tag = etag_of(body)
    headers = MutableHeaders(raw=list(start["headers"]))
    headers["ETag"] = tag
    held = Headers(scope=scope).get("if-none-match")
    if held is not None and matches(held, tag):
        del headers["content-length"]
        del headers["content-type"]
        await send({**start, "status": 304, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({**start, "headers": headers.raw})
    await send({"type": "http.response.body", "body": body})


IF_NONE_MATCH_PARAMETER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An ETag of an earlier answer: 304 with no body while it is unchanged.",
    "schema": {"type": "string"},
    "example": '"5d41402abc4b2a76b9719d911017c592"',
}


def document(app: FastAPI, applies: Callable[[str], bool]) -> None:
    """Document ``If-None-Match`` and ``304`` on every ``GET`` whose path ``applies``
    (``ConditionalGet`` answers them)."""

    def document(path: str, method: str, operation: Operation) -> None:
        if method != "get" or not applies(path):
            return
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        if "if-none-match" not in names:
            operation.setdefault("parameters", []).append(IF_NONE_MATCH_PARAMETER)
        operation["responses"].setdefault("304", NOT_MODIFIED[304])

    edit_operations(app, document)
