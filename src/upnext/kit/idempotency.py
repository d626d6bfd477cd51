"""``Idempotency-Key`` on writes, with Stripe's semantics, as an ASGI middleware.

The first request with a key runs and its answer is stored; a retry with the same key and
the same request gets that answer again (``Idempotent-Replayed: true``) without running
twice. The same key with a different request is ``422``; while the first is still running
a second one is ``409``. Answers that say the request never ran (malformed, unauthenticated,
invalid, throttled, conflicting, server errors) are not stored, so a corrected retry may
reuse the key. Where keys live, and whose they are, is the ``Store``'s business.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from upnext.kit.problems import problem_response

HEADER = "Idempotency-Key"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255


def _stored(status: int) -> bool:
    return 200 <= status < 300 or status in (403, 404)


@dataclass(frozen=True)
class Replay:
    """The stored answer of the first request with a key."""

    status: int
    body: bytes


Outcome = Replay | Literal["claimed", "in_flight", "mismatch"]


class Store(Protocol):
    async def owner(self, scope: Scope) -> str | None:
        """Who is calling (keys are scoped to it), or None if the request is not
        authenticated, in which case it passes through untouched."""

    async def claim(self, owner: str, key: str, fingerprint: str) -> Outcome: ...

    async def save(self, owner: str, key: str, status: int, body: bytes) -> None: ...

    async def release(self, owner: str, key: str) -> None: ...


def _valid(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all("\x21" <= ch <= "\x7e" for ch in key)


def fingerprint(scope: Scope, body: bytes) -> str:
    """What makes two requests "the same": method, path, query string and body bytes."""
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope["query_string"], body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise HTTPException(400, "The client disconnected.")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _problem(status: int, title: str, detail: str, code: str, **headers: str) -> Response:
    return problem_response(status, title, detail, code, headers=headers or None)


class Idempotency:
    """Applies idempotency keys to the writes that ``applies(scope)`` selects."""

    def __init__(
        self, app: ASGIApp, store: Store, applies: Callable[[Scope], bool] = lambda _: True
    ) -> None:
        self.app = app
        self.store = store
        self.applies = applies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        key = Headers(scope=scope).get(HEADER)
        if key is None or not self.applies(scope):
            await self.app(scope, receive, send)
            return
        if not _valid(key):
            detail = f"{HEADER} must be 1-{MAX_KEY_LENGTH} visible ASCII characters."
            await _problem(400, "Bad request", detail, "invalid_idempotency_key")(
                scope, receive, send
            )
            return
        owner = await self.store.owner(scope)
        if owner is None:
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except HTTPException as exc:  # the body cap, or a client gone mid-body
            title = "Payload too large" if exc.status_code == 413 else "Bad request"
            code = "payload_too_large" if exc.status_code == 413 else "bad_request"
            response = _problem(exc.status_code, title, str(exc.detail), code)
            await response(scope, receive, send)
            return
        outcome = await self.store.claim(owner, key, fingerprint(scope, body))
        if outcome == "claimed":
            await self._run(scope, body, receive, send, owner, key)
        else:
            await _answer(outcome)(scope, receive, send)

    async def _run(
        self, scope: Scope, body: bytes, receive: Receive, send: Send, owner: str, key: str
    ) -> None:
        """Run the request once, keeping its answer for retries."""
        sent = False

        async def replay_body() -> Message:
            nonlocal sent
            if sent:  # the body was read already: what follows is the client going away
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await self.store.release(owner, key)
            raise
        if _stored(status):
            await self.store.save(owner, key, status, b"".join(chunks))
        else:
            await self.store.release(owner, key)


def _answer(outcome: Outcome) -> Response:
    if isinstance(outcome, Replay):
        return _replay(outcome)
    if outcome == "mismatch":
        detail = f"This {HEADER} was used with a different request in the last 24 hours."
        return _problem(422, "Validation failed", detail, "idempotency_key_reused")
    detail = f"A request with this {HEADER} is still being processed; retry shortly."
    return _problem(409, "Conflict", detail, "idempotency_in_flight", **{"Retry-After": "1"})


def _replay(stored: Replay) -> Response:
    if stored.status == 204 or not stored.body:
        return Response(status_code=stored.status, headers={"Idempotent-Replayed": "true"})
    media_type = "application/json" if stored.status < 400 else "application/problem+json"
    return Response(
        stored.body,
        status_code=stored.status,
        media_type=media_type,
        headers={"Idempotent-Replayed": "true"},
    )
