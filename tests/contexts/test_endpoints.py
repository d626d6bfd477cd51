"""The Contexts API: writing, reading and deleting a publisher's items."""

from __future__ import annotations

import httpx

from tests.factories import World, make_item, make_movie


async def test_put_then_get_returns_the_item(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    item = make_item(preview_video_uri="https://media.example.com/p.m3u8")
    r = await client.put("/v1/contexts/upnext/ctx-1", json=item, auth=app.auth)
    assert r.status_code == 200
    assert r.json() == {"message": "Success"}

    r = await client.get("/v1/contexts/upnext/ctx-1", auth=app.auth)
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1
    assert "next_key" not in body
    [got] = body["items"]
    for field, value in item.items():
        assert got[field] == value, field
    assert got["app_id"] == app.id
    assert got["context_id"] == "ctx-1"
    assert got["hidden"] is False
    assert got["updated_at"].endswith("Z") and len(got["updated_at"]) == 24
    assert "platform_data" not in got and "app_media" not in got


async def test_optional_fields_are_omitted_not_null(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await client.put("/v1/contexts/upnext/c", json=make_movie(content_id="m"), auth=app.auth)
    [got] = (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()["items"]
    for absent in ("season", "episode", "position", "preview_video_uri"):
        assert absent not in got
