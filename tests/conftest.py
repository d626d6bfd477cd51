"""Fixtures: a fresh database per test (SQLite or PostgreSQL), the app, a client, a world."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests import databases
from tests.documented import documented_client
from tests.factories import ADMIN_KEY_ID, ADMIN_SECRET, World
from upnext.app import create_app
from upnext.settings import Settings


@pytest.fixture(scope="session")
def _server_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | Path]:
    if databases.ON_POSTGRES:
        with databases.pg_database() as url:
            yield url
    else:
        yield databases.migrated_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def database_url(_server_database: str | Path, tmp_path: Path) -> str:
    """A migrated, empty database for this test alone."""
    if isinstance(_server_database, Path):
        return databases.sqlite_copy(_server_database, tmp_path)
    databases.empty_all_tables(_server_database)
    return _server_database


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        admin_key=f"{ADMIN_KEY_ID}:{ADMIN_SECRET}",
        public_url="http://testserver",
        webhook_allow_private=True,
        webhook_retry_schedule="0.2,0.2,0.2",
        # Tests may store fixed past timestamps; retention has its own tests (tests/extensions).
        item_ttl_days=0,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def world(client: httpx.AsyncClient) -> World:
    return World(client)


@pytest.fixture
async def documented(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the documented routes alone (no lean paths), on the same database."""
    async with documented_client(app) as client:
        yield client
