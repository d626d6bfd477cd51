"""The two ASGI layers every request of the API passes through, and nothing else.

``Edge`` wraps the whole application, outside Starlette's own error middleware, so even a
500 carries its request id. In this order, it:

1. gives each request its id (``X-Request-ID``), counts it in the metrics and logs it;
2. adds the security headers a handler did not set;
3. lets CORS answer, when origins are configured (Starlette's ``CORSMiddleware``);
4. applies the rate limit (``kit.ratelimit``) and the body cap (``kit.limits``);
5. hands the lean paths their requests (the session reads, ``sessions.reads``, and the
   item PUT, ``contexts.writes``), and everything else to the application.

``Replay`` sits inside the framework: conditional ``GET``s (``kit.etag``) and idempotent
writes (``kit.idempotency``). A request meets one of the two, never both.

One layer each instead of a middleware per concern: each wrapping cost a coroutine, a
closure over ``send`` and a pass over the headers per request (bench/README.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from upnext.kit.etag import ConditionalGet
from upnext.kit.idempotency import WRITE_METHODS, Idempotency, Store
from upnext.kit.limits import capped, declared_too_large
from upnext.kit.problems import problem_response
from upnext.kit.ratelimit import Limiter
from upnext.observability import caller_request_id, record_request, request_id

log = logging.getLogger("upnext")

Headers = tuple[tuple[bytes, bytes], ...]
CORS_METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE"]
CORS_ALLOWED = ["Authorization", "Content-Type", "X-Request-ID", "Idempotency-Key", "If-None-Match"]
CORS_EXPOSED = [
    "X-Request-ID", "RateLimit", "RateLimit-Policy", "Retry-After", "ETag", "Idempotent-Replayed",
]  # fmt: skip
Lean = Callable[[Scope], ASGIApp | None]
"""Finds the lean endpoint of a request (the scope gains its path params), or None."""


@dataclass(frozen=True)
class Policy:
    """What the edge layer applies to a path."""

    security_headers: Callable[[str], Headers]
    body_limit: Callable[[str], int]
    limited: Callable[[str], bool]  # under the rate limit


class Edge:
    """Request ids, logs and metrics, security headers, CORS, rate limit and body cap."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: Policy,
        limiter: Limiter | None = None,
        origins: list[str] | None = None,
        lean: Lean = lambda _scope: None,
    ) -> None:
        self.app = app
        self.policy = policy
        self.limiter = limiter
        self.lean = lean
        self.inner: ASGIApp = self._guarded
        if origins:
            self.inner = CORSMiddleware(
                self._guarded,
                allow_origins=origins,
                allow_methods=CORS_METHODS,
                allow_headers=CORS_ALLOWED,
                expose_headers=CORS_EXPOSED,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = caller_request_id(scope)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 0
        extra = ((b"x-request-id", rid.encode()),)
        security = self.policy.security_headers(scope["path"])

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", [])
                present = {name.lower() for name, _ in headers}
                added = [(n, v) for n, v in security if n not in present]
                message["headers"] = [*headers, *added, *extra]
            await send(message)

        try:
            await self.inner(scope, receive, send_with_headers)
        except Exception:
            if status:  # answered already (Starlette's error middleware sent its 500)
                return
            log.exception("unhandled error")
            internal = problem_response(
                500, "Internal error", "An unexpected error occurred.", "internal"
            )
            await internal(scope, receive, send_with_headers)
        finally:
            record_request(scope, rid, status or 500, time.perf_counter() - started)
            request_id.reset(token)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The rate limit, the body cap, then the request's handler."""
        path = scope["path"]
        if self.limiter is not None and self.policy.limited(path):
            verdict = await self.limiter.check(scope)
            if verdict is not None:
                if verdict.refusal is not None:
                    await verdict.refusal(scope, receive, send)
                    return
                send = _adding(send, verdict.headers)
        limit = self.policy.body_limit(path)
        if (refusal := declared_too_large(scope, limit)) is not None:
            await refusal(scope, receive, send)
            return
        await (self.lean(scope) or self.app)(scope, capped(receive, limit), send)


def _adding(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    async def send_with(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *headers]
        await send(message)

    return send_with


class Replay:
    """Conditional ``GET``s and idempotent writes: ETags and ``304`` on JSON ``GET``s
    whose path ``conditional``; ``Idempotency-Key`` on the writes ``idempotent`` selects."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        conditional: Callable[[str], bool],
        store: Store,
        idempotent: Callable[[Scope], bool],
    ) -> None:
        self.app = app
        self.get = ConditionalGet(app, conditional)
        self.write = Idempotency(app, store, idempotent)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] == "GET":
                await self.get(scope, receive, send)
                return
            if scope["method"] in WRITE_METHODS:
                await self.write(scope, receive, send)
                return
        await self.app(scope, receive, send)
