"""Webhook fixtures: the app without its own delivery worker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from upnext import background
from upnext.app import create_app
from upnext.settings import Settings


@pytest.fixture
async def quiet(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app without its own worker, so the test's workers are the only ones."""
    monkeypatch.setattr(background, "JOBS", [])
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield application, c
