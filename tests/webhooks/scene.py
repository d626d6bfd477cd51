"""A publisher with a webhook endpoint and a platform that can hide the publisher's items."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories import Tenant, World

_numbers = itertools.count(1)


@dataclass
class Scene:
    client: httpx.AsyncClient
    platform: Tenant
    app: Tenant
    session_id: str
    context_id: str
    content_ids: list[str]
    secret: str

    async def set_url(self, url: str | None) -> httpx.Response:
        return await self.client.patch(
            f"/v1/apps/{self.app.id}", json={"webhook_url": url}, auth=self.app.auth
        )

    async def rotate(self) -> str:
        r = await self.client.post(f"/v1/apps/{self.app.id}/webhook-secret", auth=self.app.auth)
        assert r.status_code == 200, r.text
        secret: str = r.json()["secret"]
        return secret

    async def hide(self, content_id: str | None = None, action: str = "hide") -> None:
        r = await self.client.put(
            f"/v1/sessions/upnext/{self.session_id}/{self.context_id}",
            json={"content_id": content_id or self.content_ids[0], "action": action},
            auth=self.platform.auth,
        )
        assert r.status_code == 200, r.text

    async def deliveries(self, **params: Any) -> dict[str, Any]:
        r = await self.client.get(
            f"/v1/apps/{self.app.id}/webhook-deliveries", params=params, auth=self.app.auth
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def wait_until(self, status: str, count: int = 1, within: float = 15.0) -> list[Any]:
        """The deliveries once ``count`` of them have ``status``."""
        deadline = time.monotonic() + within
        while True:
            items: list[Any] = (await self.deliveries(status=status))["items"]
            if len(items) >= count:
                return items
            if time.monotonic() > deadline:
                everything = (await self.deliveries())["items"]
                raise AssertionError(f"not {count} {status} deliveries in time: {everything}")
            await asyncio.sleep(0.05)


async def make_scene(
    client: httpx.AsyncClient, url: str | None, items: int = 1, *, secret: bool = True
) -> Scene:
    """Accounts, a context with ``items`` items attached to a session, a signing secret
    (unless ``secret`` is false), and ``url`` as the webhook endpoint (none if ``None``)."""
    n = next(_numbers)
    world = World(client)
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    context_id, session_id = f"ctx-{n}", f"session-{n}"
    content_ids = [(await world.put_item(app, context_id))["content_id"] for _ in range(items)]
    await world.attach(platform, session_id, app, context_id)
    scene = Scene(client, platform, app, session_id, context_id, content_ids, "")
    if secret:
        scene.secret = await scene.rotate()
    if url is not None:
        r = await scene.set_url(url)
        assert r.status_code == 200, r.text
    return scene


@dataclass
class PlatformScene:
    """A platform's session showing one context of each of several apps."""

    client: httpx.AsyncClient
    world: World
    platform: Tenant
    apps: list[Tenant]
    session_id: str
    context_ids: list[str]
    content_ids: list[str]  # one item in each context
    secret: str
    others: list[Tenant] = field(default_factory=list)  # other platforms a test adds

    async def set_url(self, url: str | None) -> httpx.Response:
        return await self.client.patch(
            f"/v1/platforms/{self.platform.id}", json={"webhook_url": url}, auth=self.platform.auth
        )

    async def rotate(self) -> str:
        r = await self.client.post(
            f"/v1/platforms/{self.platform.id}/webhook-secret", auth=self.platform.auth
        )
        assert r.status_code == 200, r.text
        secret: str = r.json()["secret"]
        return secret

    async def put_item(self, index: int = 0, **overrides: Any) -> None:
        content_id = overrides.pop("content_id", self.content_ids[index])
        app, context_id = self.apps[index], self.context_ids[index]
        await self.world.put_item(app, context_id, content_id=content_id, **overrides)

    async def deliveries(self, **params: Any) -> dict[str, Any]:
        r = await self.client.get(
            f"/v1/platforms/{self.platform.id}/webhook-deliveries",
            params=params,
            auth=self.platform.auth,
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def wait_until(self, status: str, count: int = 1, within: float = 15.0) -> list[Any]:
        """The deliveries once ``count`` of them have ``status``."""
        deadline = time.monotonic() + within
        while True:
            items: list[Any] = (await self.deliveries(status=status))["items"]
            if len(items) >= count:
                return items
            if time.monotonic() > deadline:
                everything = (await self.deliveries())["items"]
                raise AssertionError(f"not {count} {status} deliveries in time: {everything}")
            await asyncio.sleep(0.05)


async def make_platform_scene(
    client: httpx.AsyncClient, url: str | None, apps: int = 1, *, secret: bool = True
) -> PlatformScene:
    """A platform, ``apps`` apps available to it with a context of one item each, all
    attached to one session; then the platform's secret and ``url`` (so the set-up itself
    sends nothing)."""
    n = next(_numbers)
    world = World(client)
    platform = await world.platform()
    tenants = [await world.app(f"App {i}", platforms=(platform,)) for i in range(apps)]
    session_id = f"tv-{n}"
    context_ids = [f"pctx-{n}-{i}" for i in range(apps)]
    content_ids = []
    for app, context_id in zip(tenants, context_ids, strict=True):
        content_ids.append((await world.put_item(app, context_id))["content_id"])
        await world.attach(platform, session_id, app, context_id)
    scene = PlatformScene(
        client, world, platform, tenants, session_id, context_ids, content_ids, ""
    )
    if secret:
        scene.secret = await scene.rotate()
    if url is not None:
        r = await scene.set_url(url)
        assert r.status_code == 200, r.text
    return scene
