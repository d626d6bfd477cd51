"""Factories with keyword defaults for the objects tests need."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from typing import Any

import httpx
from PIL import Image

ADMIN_KEY_ID = "KY000000000000000001"
ADMIN_SECRET = "test-admin-secret-0123456789"
ADMIN = (ADMIN_KEY_ID, ADMIN_SECRET)

_counter = itertools.count(1)


def make_item(**overrides: Any) -> dict[str, Any]:
    """A valid tv_episode continue item; override any field, or drop one with ``None``."""
    n = next(_counter)
    item: dict[str, Any] = {
        "content_id": f"content-{n}",
        "media_type": "tv_episode",
        "action": "up_next_continue",
        "title": f"Episode {n}",
        "description": "Jeff ignores Lassie when Gramps brings home a new colt.",
        "poster_art_uri": f"https://media.example.com/{n}/thumb.png",
        "poster_art_aspect_ratio": "aspect_ratio_16_9",
        "season": 1,
        "episode": n,
        "position": 654,
        "duration": 1308,
    }
    item.update(overrides)
    return {k: v for k, v in item.items() if v is not None}


def make_movie(**overrides: Any) -> dict[str, Any]:
    return make_item(
        media_type="movie",
        action="up_next_next",
        season=None,
        episode=None,
        position=None,
        **overrides,
    )


def make_png(width: int, height: int, *, alpha: bool = False) -> bytes:
    image = Image.new(
        "RGBA" if alpha else "RGB", (width, height), (200, 30, 60, 128)[: 4 if alpha else 3]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Tenant:
    """An account and one of its keys."""

    id: str
    key_id: str
    secret: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.key_id, self.secret)


class World:
    """Creates accounts and keys through the API, as an operator would."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def platform(self, name: str = "Acme TV") -> Tenant:
        r = await self.client.post("/v1/admin/platforms", json={"name": name}, auth=ADMIN)
        assert r.status_code == 201, r.text
        platform_id = r.json()["platform_id"]
        r = await self.client.post(f"/v1/admin/platforms/{platform_id}/keys", auth=ADMIN)
        assert r.status_code == 201, r.text
        return Tenant(platform_id, r.json()["key_id"], r.json()["secret"])

    async def app(self, name: str = "Flix", *, platforms: tuple[Tenant, ...] = ()) -> Tenant:
        r = await self.client.post("/v1/admin/apps", json={"name": name}, auth=ADMIN)
        assert r.status_code == 201, r.text
        app_id = r.json()["app_id"]
        r = await self.client.post(f"/v1/admin/apps/{app_id}/keys", auth=ADMIN)
        assert r.status_code == 201, r.text
        app = Tenant(app_id, r.json()["key_id"], r.json()["secret"])
        for platform in platforms:
            await self.enable(app, platform)
        return app

    async def enable(self, app: Tenant, platform: Tenant, enabled: bool = True) -> None:
        r = await self.client.put(
            f"/v1/apps/{app.id}/avails/{platform.id}", json={"enabled": enabled}, auth=app.auth
        )
        assert r.status_code == 200, r.text

    async def put_item(self, app: Tenant, context_id: str, **overrides: Any) -> dict[str, Any]:
        item = make_item(**overrides)
        r = await self.client.put(f"/v1/contexts/upnext/{context_id}", json=item, auth=app.auth)
        assert r.status_code == 200, r.text
        return item

    async def attach(self, platform: Tenant, session_id: str, app: Tenant, context_id: str) -> None:
        r = await self.client.put(
            f"/v1/sessions/upnext/{session_id}",
            json={"app_id": app.id, "context_id": context_id},
            auth=platform.auth,
        )
        assert r.status_code == 200, r.text
