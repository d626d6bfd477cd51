"""Strong ETags over JSON bodies and ``If-None-Match`` answered with ``304 Not Modified``."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import orjson
from fastapi import Header
from starlette.responses import Response

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


def _matches(if_none_match: str, etag: str) -> bool:
    # RFC 9110 13.1.2: If-None-Match uses the weak comparison, so W/ prefixes are ignored.
    if if_none_match.strip() == "*":
        return True
    candidates = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return etag in candidates


def cached_json(content: Any, if_none_match: str | None) -> Response:
    """``content`` as JSON with its ETag, or ``304`` if the client holds that ETag."""
    body = orjson.dumps(content)
    etag = etag_of(body)
    headers = {"ETag": etag}
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
