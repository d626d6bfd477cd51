"""SDK fixtures: async clients bound to the in-process app; a real server process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from tests import servers
from tests.factories import ADMIN_KEY_ID, ADMIN_SECRET
from upnext.client import AsyncUpNextClient, UpNextClient

ADMIN_KEY = f"{ADMIN_KEY_ID}:{ADMIN_SECRET}"

ClientFactory = Callable[[str | None], AsyncUpNextClient]


@pytest.fixture
async def sdk(app: FastAPI) -> AsyncIterator[ClientFactory]:
    """``sdk(key)``: an async client of the in-process app with that ``key_id:secret``."""
    made: list[AsyncUpNextClient] = []

    def make(key: str | None) -> AsyncUpNextClient:
        client = AsyncUpNextClient("http://testserver", key, transport=httpx.ASGITransport(app=app))
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def admin(sdk: ClientFactory) -> AsyncUpNextClient:
    return sdk(ADMIN_KEY)


@dataclass
class Live:
    """A real ``upnext serve`` process on the test's database."""

    server: servers.Server
    clients: list[UpNextClient] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.base_url

    def client(self, key: str | None) -> UpNextClient:
        client = UpNextClient(self.url, key, timeout=10.0)
        self.clients.append(client)
        return client


def live_env(database_url: str) -> dict[str, str]:
    return {
        "UPNEXT_DATABASE_URL": database_url,
        "UPNEXT_ADMIN_KEY": ADMIN_KEY,
        "UPNEXT_WEBHOOK_ALLOW_PRIVATE": "1",
    }


@contextmanager
def live_server(database_url: str) -> Iterator[Live]:
    """A real server on ``database_url``; the clients it handed out are closed at the end."""
    with servers.running(live_env(database_url)) as server:
        running = Live(server)
        yield running
        for client in running.clients:
            client.close()


@pytest.fixture
def live(database_url: str) -> Iterator[Live]:
    with live_server(database_url) as running:
        yield running
