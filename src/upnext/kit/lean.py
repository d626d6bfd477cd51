"""What the lean endpoints share: reading a request as the framework would, and handing
it on to the documented route when they do not serve it.

A lean endpoint serves only the requests it can read unambiguously, and raises
``Fallback`` for everything else: the documented route then answers it, with the
framework's own errors. It must never accept what the documented route refuses, or read
a request otherwise.
"""

from __future__ import annotations

import base64
import binascii

from starlette.types import Message, Receive, Scope, Send


class Fallback(Exception):
    """This request is the documented route's to answer."""


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a header, as Starlette's ``Headers.get``."""
    for key, value in scope["headers"]:
        if key == name:
            found: bytes = value
            return found
    return None


def basic_credentials(scope: Scope) -> tuple[str, str]:
    """The key id and secret of well-formed HTTP Basic credentials (else ``Fallback``)."""
    authorization = header(scope, b"authorization")
    if authorization is None or authorization[:6].lower() != b"basic ":
        raise Fallback
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise Fallback from error
    key_id, sep, secret = decoded.partition(":")
    if not sep:
        raise Fallback
    return key_id, secret


async def read_body(receive: Receive) -> bytes:
    """The whole request body (an exception if the client goes away or passes a cap)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise Fallback
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the documented route after the body was read here: the body once,
    then whatever the client sends next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def respond_json(send: Send, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """A ``200`` JSON answer: ``headers`` first, then length and type, as Starlette's."""
    start = [
        *headers,
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": start})
    await send({"type": "http.response.body", "body": body})
