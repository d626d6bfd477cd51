"""The ASGI application: routers, error handlers, limits and the start-up sequence."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import text
from starlette.types import ASGIApp, Scope

from upnext import __version__, background, errors, metrics
from upnext.contexts.endpoints import router as contexts_router
from upnext.contexts.writes import LeanPut
from upnext.db.engine import Database
from upnext.db.migrate import upgrade
from upnext.deps import Conn
from upnext.edge import Edge, Policy, Replay
from upnext.handoffs.endpoints import router as handoffs_router
from upnext.idempotency import service as idempotency
from upnext.kit import etag
from upnext.kit.headers import API_HEADERS, BROWSER_HEADERS
from upnext.kit.openapi import PUBLIC, Operation, edit_operations, problem
from upnext.kit.ratelimit import Limiter, MemoryCounter, Quota, RedisCounter
from upnext.observability import configure_logging
from upnext.operations.endpoints import router as operations_router
from upnext.portal import service as portal
from upnext.portal.endpoints import admin, media, platform, publisher
from upnext.sessions.endpoints import router as sessions_router
from upnext.sessions.reads import LeanReads
from upnext.settings import Settings
from upnext.web.site import create_portal
from upnext.webhooks.endpoints import router as webhooks_router

DESCRIPTION = """One consistent "Continue Watching / Up Next" row across every streaming app.

Publishers write each user's items to a *Context*; platforms attach their users' contexts
to a *Session* and read one aggregated, newest-first list. Authenticate with HTTP Basic
(`key_id` as user, `secret` as password). Errors are `application/problem+json`.
"""

LICENSE = {"name": "Apache-2.0", "identifier": "Apache-2.0"}


async def start(app: FastAPI, settings: Settings) -> Database:
    """Migrate the schema, open the database and make sure an operator key exists."""
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    async with db.write() as conn:
        minted = await portal.ensure_admin_key(conn, settings.admin_key)
    if minted:
        print(f"admin key: {minted}", flush=True)  # shown once; only its hash is stored
    app.state.db = db
    return db


class UpNextAPI(FastAPI):
    """FastAPI with the edge layer (``upnext.edge``) around its whole middleware stack, so
    that even the 500s of Starlette's own error middleware carry a request id."""

    edge: Callable[[ASGIApp], ASGIApp] = staticmethod(lambda app: app)

    def build_middleware_stack(self) -> ASGIApp:
        return self.edge(super().build_middleware_stack())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = await start(app, settings)
        jobs = background.start(db, settings)
        try:
            yield
        finally:
            await background.stop(jobs)
            await db.dispose()
            if limiter := getattr(app.state, "rate_limiter", None):
                await limiter.close()

    app = UpNextAPI(
        title="UpNext",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # UpNext's metrics are Prometheus' (upnext.metrics): FastAPI's own OpenTelemetry
        # hooks would only ask, on every request, whether a provider was configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        license_info=LICENSE,
        servers=[{"url": settings.media_base, "description": "This service (UPNEXT_PUBLIC_URL)"}],
    )
    app.state.settings = settings
    errors.install(app)
    routers = (sessions_router, contexts_router, handoffs_router, admin, publisher, platform)
    for router in (*routers, media, webhooks_router, operations_router):
        app.include_router(router)
    app.mount("/portal", create_portal(app))

    @app.get("/healthz", tags=["operations"], openapi_extra=PUBLIC)
    async def healthz(conn: Conn) -> dict[str, str]:
        """200 when the database answers."""
        await conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    etag.document(app, applies=_api)
    idempotency.document(app)
    app.add_middleware(
        Replay,
        conditional=_api,
        store=idempotency.DatabaseStore(app),
        idempotent=idempotency.honoured(app),
    )
    app.edge = _edge(app, settings)
    return app


@dataclass(frozen=True)
class LeanPaths:
    """The lean paths, each handing what it does not serve to the documented routes."""

    reads: LeanReads
    put: LeanPut

    def __call__(self, scope: Scope) -> ASGIApp | None:
        return self.reads(scope) or self.put(scope)


def _api(path: str) -> bool:
    return path.startswith("/v1/")


def _edge(app: FastAPI, settings: Settings) -> Callable[[ASGIApp], ASGIApp]:
    """The edge layer: request ids and logs, security headers, CORS (only when
    configured), rate limits, body caps, and the lean paths (session reads, item PUT)."""

    def body_limit(path: str) -> int:
        if path.startswith(("/v1/apps/", "/portal/app/media/")) and "/media/" in path:
            return settings.max_media_bytes
        if path.startswith("/v1/contexts/") and path.endswith(("/items", "/items:batch")):
            return settings.max_batch_bytes
        return settings.max_body_bytes

    policy = Policy(
        security_headers=lambda path: (
            BROWSER_HEADERS if path.startswith("/portal") else API_HEADERS
        ),
        body_limit=body_limit,
        limited=_api,
    )
    limiter = None
    if settings.rate_limit_per_minute:
        counter = RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()
        app.state.rate_limiter = counter
        quota = Quota(settings.rate_limit_per_minute, 60)
        limiter = Limiter(counter=counter, quota=quota, on_limited=metrics.record_rate_limited)
        edit_operations(app, _document_rate_limit)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]

    def wrap(stack: ASGIApp) -> ASGIApp:
        lean = LeanPaths(LeanReads(stack), LeanPut(stack))
        return Edge(stack, policy=policy, limiter=limiter, origins=origins, lean=lean)

    return wrap


def _document_rate_limit(path: str, _: str, operation: Operation) -> None:
    if path.startswith("/v1/"):
        operation["responses"].setdefault("429", problem(429))


def main_app() -> FastAPI:
    """Factory for ``uvicorn --factory upnext.app:main_app``: settings from the environment."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run `upnext serve`")
