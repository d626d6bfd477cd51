"""The ASGI application: routers, error handlers, limits and the start-up sequence."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from upnext import __version__, background, errors
from upnext.contexts.endpoints import router as contexts_router
from upnext.db.engine import Database
from upnext.db.migrate import upgrade
from upnext.deps import Conn
from upnext.kit.limits import BodyLimit
from upnext.portal import service as portal
from upnext.portal.endpoints import admin, media, platform, publisher
from upnext.sessions.endpoints import router as sessions_router
from upnext.settings import Settings

DESCRIPTION = """One consistent "Continue Watching / Up Next" row across every streaming app.

Publishers write each user's items to a *Context*; platforms attach their users' contexts
to a *Session* and read one aggregated, newest-first list. Authenticate with HTTP Basic
(`key_id` as user, `secret` as password). Errors are `application/problem+json`.
"""


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

    app = FastAPI(
        title="UpNext",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    for router in (sessions_router, contexts_router, admin, publisher, platform, media):
        app.include_router(router)

    @app.get("/healthz", tags=["operations"])
    async def healthz(conn: Conn) -> dict[str, str]:
        """200 when the database answers."""
        await conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    def body_limit(path: str) -> int:
        if path.startswith("/v1/apps/") and "/media/" in path:
            return settings.max_media_bytes
        return settings.max_body_bytes

    app.add_middleware(BodyLimit, limit_for=body_limit)
    return app


def main_app() -> FastAPI:
    """Factory for ``uvicorn --factory upnext.app:main_app``: settings from the environment."""
    return create_app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run `upnext serve`")
