"""The documented routes alone: the same app with an edge layer that offers nothing to the
lean paths (sessions/reads.py, contexts/writes.py), to compare their answers with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from upnext.edge import Edge

# Per request by nature: the id, and the quota left (each request uses one up).
_OWN = ("x-request-id", "ratelimit")


@asynccontextmanager
async def documented_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    edge = app.build_middleware_stack()
    assert isinstance(edge, Edge)
    edge.lean = lambda _scope: None

    async def without_lean_paths(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app
        await edge(scope, receive, send)

    transport = httpx.ASGITransport(app=without_lean_paths)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def same_answer(served: httpx.Response, alone: httpx.Response) -> None:
    """Status, body and headers alike, but for what is each request's own."""
    assert (served.status_code, served.content) == (alone.status_code, alone.content)
    left = [(k, "" if k in _OWN else v) for k, v in served.headers.multi_items()]
    right = [(k, "" if k in _OWN else v) for k, v in alone.headers.multi_items()]
    assert left == right
