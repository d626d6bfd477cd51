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


async def test_put_replaces_the_item_with_the_same_content_id(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="x", position=10)
    await world.put_item(app, "c", content_id="x", position=20, title="Renamed")
    body = (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()
    assert body["total"] == 1
    assert body["items"][0]["position"] == 20
    assert body["items"][0]["title"] == "Renamed"


async def test_hidden_omitted_keeps_the_stored_value(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="x", hidden=True)
    await world.put_item(app, "c", content_id="x")
    [item] = (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()["items"]
    assert item["hidden"] is True
    await world.put_item(app, "c", content_id="x", hidden=False)
    [item] = (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()["items"]
    assert item["hidden"] is False


async def test_delete_item(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="x")
    r = await client.delete("/v1/contexts/upnext/c/x", auth=app.auth)
    assert r.status_code == 204
    assert r.content == b""
    assert (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()["total"] == 0
    r = await client.delete("/v1/contexts/upnext/c/x", auth=app.auth)
    assert r.status_code == 404
    assert r.json()["code"] == "item_not_found"


async def test_unknown_context_is_404(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    for method, path in [
        ("GET", "/v1/contexts/upnext/nope"),
        ("DELETE", "/v1/contexts/upnext/nope/x"),
        ("DELETE", "/v1/contexts/upnext/nope/sessions"),
    ]:
        r = await client.request(method, path, auth=app.auth)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "context_not_found"


async def test_mint_context(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    r = await client.post("/v1/contexts/upnext", auth=app.auth)
    assert r.status_code == 201
    context_id = r.json()["context_id"]
    assert context_id.startswith("CX")
    assert len(context_id) == 34
    r2 = await client.post("/v1/contexts/upnext", auth=app.auth)
    assert r2.json()["context_id"] != context_id
    r = await client.get(f"/v1/contexts/upnext/{context_id}", auth=app.auth)
    assert r.json() == {"total": 0, "items": []}


async def test_a_context_belongs_to_the_app_that_first_wrote_it(
    client: httpx.AsyncClient, world: World
) -> None:
    a, b = await world.app("A"), await world.app("B")
    await world.put_item(a, "shared")
    r = await client.put("/v1/contexts/upnext/shared", json=make_item(), auth=b.auth)
    assert r.status_code == 403
    assert r.json()["code"] == "wrong_app"
    for method, path in [
        ("GET", "/v1/contexts/upnext/shared"),
        ("DELETE", "/v1/contexts/upnext/shared/x"),
        ("DELETE", "/v1/contexts/upnext/shared/sessions"),
    ]:
        r = await client.request(method, path, auth=b.auth)
        assert r.status_code == 403, path
    assert (await client.get("/v1/contexts/upnext/shared", auth=a.auth)).json()["total"] == 1


async def test_remove_context_sessions(client: httpx.AsyncClient, world: World) -> None:
    p1, p2 = await world.platform("P1"), await world.platform("P2")
    app = await world.app(platforms=(p1, p2))
    await world.put_item(app, "c")
    await world.attach(p1, "s1", app, "c")
    await world.attach(p2, "s2", app, "c")
    r = await client.delete("/v1/contexts/upnext/c/sessions", auth=app.auth)
    assert r.status_code == 204
    for platform, session in ((p1, "s1"), (p2, "s2")):
        r = await client.get(f"/v1/sessions/upnext/{session}/contexts", auth=platform.auth)
        assert r.json()["total"] == 0
    # the items stay with the context
    assert (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()["total"] == 1
