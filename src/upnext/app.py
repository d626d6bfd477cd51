"""The ASGI application: routers, error handlers, limits and the start-up sequence."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text

from upnext import __version__, background, errors, metrics
from upnext.contexts.endpoints import router as contexts_router
from upnext.db.engine import Database
from upnext.db.migrate import upgrade
from upnext.deps import Conn
from upnext.idempotency import service as idempotency
from upnext.kit import etag
from upnext.kit.headers import API_HEADERS, BROWSER_HEADERS, SecurityHeaders
from upnext.kit.limits import BodyLimit
from upnext.kit.openapi import PUBLIC, Operation, edit_operations, problem
from upnext.kit.ratelimit import MemoryCounter, Quota, RateLimit, RedisCounter
from upnext.observability import Observe, configure_logging
from upnext.operations.endpoints import router as operations_router
from upnext.portal import service as portal
from upnext.portal.endpoints import admin, media, platform, publisher
from upnext.sessions.endpoints import router as sessions_router
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

    app = FastAPI(
        title="UpNext",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        license_info=LICENSE,
        servers=[{"url": settings.media_base, "description": "This service (UPNEXT_PUBLIC_URL)"}],
    )
    app.state.settings = settings
    errors.install(app)
    routers = (sessions_router, contexts_router, admin, publisher, platform, media, webhooks_router)
    for router in (*routers, operations_router):
        app.include_router(router)
    app.mount("/portal", create_portal(app))

    @app.get("/healthz", tags=["operations"], openapi_extra=PUBLIC)
    async def healthz(conn: Conn) -> dict[str, str]:
        """200 when the database answers."""
        await conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    def body_limit(path: str) -> int:
        if path.startswith(("/v1/apps/", "/portal/app/media/")) and "/media/" in path:
            return settings.max_media_bytes
        if path.startswith("/v1/contexts/") and path.endswith(("/items", "/items:batch")):
            return settings.max_batch_bytes
        return settings.max_body_bytes

    idempotency.install(app)  # inside BodyLimit, so it buffers only capped bodies
    etag.install(app, applies=lambda path: path.startswith("/v1/"))
    app.add_middleware(BodyLimit, limit_for=body_limit)
    _protect(app, settings)
    return app


def _protect(app: FastAPI, settings: Settings) -> None:
    """Rate limits, CORS (only when configured), security headers, request ids and logs."""
    if settings.rate_limit_per_minute:
        counter = RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()
        app.state.rate_limiter = counter
        app.add_middleware(
            RateLimit,
            counter=counter,
            quota=Quota(settings.rate_limit_per_minute, 60),
            applies=lambda path: path.startswith("/v1/"),
            on_limited=metrics.record_rate_limited,
        )
        edit_operations(app, _document_rate_limit)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "PUT", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-Request-ID",
                "Idempotency-Key",
                "If-None-Match",
            ],
            expose_headers=[
                "X-Request-ID",
                "RateLimit",
                "RateLimit-Policy",
                "Retry-After",
                "ETag",
                "Idempotent-Replayed",
            ],
        )
    app.add_middleware(
        SecurityHeaders,
        headers_for=lambda path: BROWSER_HEADERS if path.startswith("/portal") else API_HEADERS,
    )
    app.add_middleware(Observe)


def _document_rate_limit(path: str, _: str, operation: Operation) -> None:
    if path.startswith("/v1/"):
        operation["responses"].setdefault("429", problem(429))


def main_app() -> FastAPI:
    """Factory for ``uvicorn --factory upnext.app:main_app``: settings from the environment."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run `upnext serve`")
