"""Lists page by next_key: every item exactly once, newest first, bad paging is 400."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from tests.factories import Tenant, World
from upnext.db.tables import items


async def _session_with_items(world: World, count: int) -> tuple[Tenant, list[Tenant]]:
    platform = await world.platform()
    apps = [await world.app(f"app {n}", platforms=(platform,)) for n in range(3)]
    for n in range(count):
        app = apps[n % 3]
        await world.put_item(app, f"ctx-{app.id}", content_id=f"item-{n:03d}")
    for app in apps:
        await world.attach(platform, "s", app, f"ctx-{app.id}")
    return platform, apps


async def _walk(
    client: httpx.AsyncClient, path: str, auth: tuple[str, str], limit: int
) -> list[str]:
    seen: list[str] = []
    next_key: int | None = 0
    while next_key is not None:
        r = await client.get(path, params={"limit": limit, "next_key": next_key}, auth=auth)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        seen.extend(i["content_id"] for i in body["items"])
        next_key = body.get("next_key")
        if next_key is not None:
            assert next_key == len(seen)
    return seen


@pytest.mark.parametrize("limit", [1, 3, 7, 200])
async def test_walking_next_key_visits_every_item_once(
    client: httpx.AsyncClient, world: World, limit: int
) -> None:
    platform, _ = await _session_with_items(world, 23)
    seen = await _walk(client, "/v1/sessions/upnext/s", platform.auth, limit)
    assert seen == [f"item-{n:03d}" for n in reversed(range(23))]


async def test_ties_on_updated_at_are_broken_stably(
    client: httpx.AsyncClient, world: World, app: object
) -> None:
    platform, _ = await _session_with_items(world, 17)
    async with app.state.db.write() as conn:  # type: ignore[attr-defined]
        await conn.execute(update(items).values(updated_at=1_700_000_000_000_000))
    full = (await client.get("/v1/sessions/upnext/s", auth=platform.auth)).json()["items"]
    ids = [i["content_id"] for i in full]
    assert sorted(ids) == sorted(f"item-{n:03d}" for n in range(17))
    assert await _walk(client, "/v1/sessions/upnext/s", platform.auth, 4) == ids


async def test_context_list_pages_the_same_way(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    for n in range(9):
        await world.put_item(app, "c", content_id=f"i{n}")
    seen = await _walk(client, "/v1/contexts/upnext/c", app.auth, 2)
    assert seen == [f"i{n}" for n in reversed(range(9))]


async def test_total_and_next_key(client: httpx.AsyncClient, world: World) -> None:
    platform, _ = await _session_with_items(world, 5)
    body = (await client.get("/v1/sessions/upnext/s?limit=2", auth=platform.auth)).json()
    assert (body["total"], body["next_key"], len(body["items"])) == (5, 2, 2)
    body = (await client.get("/v1/sessions/upnext/s?limit=2&next_key=4", auth=platform.auth)).json()
    assert (body["total"], len(body["items"])) == (5, 1)
    assert "next_key" not in body
    body = (await client.get("/v1/sessions/upnext/s?next_key=50", auth=platform.auth)).json()
    assert body == {"total": 5, "items": []}


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=201", "limit=-1", "limit=abc", "limit=2.5", "next_key=-1", "next_key=x"],
)
async def test_bad_paging_is_400(client: httpx.AsyncClient, world: World, query: str) -> None:
    platform, _ = await _session_with_items(world, 1)
    r = await client.get(f"/v1/sessions/upnext/s?{query}", auth=platform.auth)
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_parameter"


async def test_session_contexts_limit_is_at_most_50(
    client: httpx.AsyncClient, world: World
) -> None:
    platform, _ = await _session_with_items(world, 1)
    r = await client.get("/v1/sessions/upnext/s/contexts?limit=51", auth=platform.auth)
    assert r.status_code == 400
    body = (await client.get("/v1/sessions/upnext/s/contexts?limit=2", auth=platform.auth)).json()
    assert (body["total"], body["next_key"], len(body["items"])) == (3, 2, 2)
