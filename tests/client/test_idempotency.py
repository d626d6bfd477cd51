"""The SDK's Idempotency-Key against the real app: a repeated POST is answered, not rerun."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.client.conftest import ADMIN_KEY
from tests.factories import ADMIN
from upnext.client import AsyncUpNextClient


class Recording(httpx.AsyncBaseTransport):
    def __init__(self, app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


async def test_a_retried_post_creates_one_platform(app: FastAPI) -> None:
    recording = Recording(app)
    async with AsyncUpNextClient("http://testserver", ADMIN_KEY, transport=recording) as admin:
        platform = await admin.create_platform("Acme TV")
        [sent] = recording.requests
        key = sent.headers["idempotency-key"]

        # The same request again, as a retry after a lost answer would send it.
        async with httpx.AsyncClient(
            transport=recording.inner, base_url="http://testserver"
        ) as raw:
            replay = await raw.post(
                "/v1/admin/platforms",
                json={"name": "Acme TV"},
                auth=ADMIN,
                headers={"Idempotency-Key": key},
            )
        assert replay.status_code == 201
        assert replay.json()["platform_id"] == platform.platform_id
        assert (await admin.list_platforms()).total == 1
