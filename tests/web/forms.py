"""A tiny form-filling client for portal tests without a browser: it keeps the cookie
session and sends each form's CSRF token, as a browser would."""

from __future__ import annotations

import re
from typing import Any

import httpx

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class PortalClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.get(f"/portal{path}", **kwargs)
        found = _TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    async def post(
        self, path: str, data: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        if not self.token:
            await self.get("/login")
        form = {"csrf_token": self.token, **(data or {})}
        back = kwargs.pop("back", "/")
        headers = {"referer": f"http://testserver/portal{back}"} if back is not None else {}
        return await self.client.post(f"/portal{path}", data=form, headers=headers, **kwargs)

    async def sign_in(self, key_id: str, secret: str) -> httpx.Response:
        await self.get("/login")
        response = await self.post("/login", {"key_id": key_id, "secret": secret})
        await self.get("/login")  # signing in renews the CSRF token
        return response
