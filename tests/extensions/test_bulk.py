"""Replace-all and batch: one transaction, all or nothing, invalid entries named by index."""

from __future__ import annotations

import httpx

from tests.factories import World, make_item, make_movie


async def listed(client: httpx.AsyncClient, auth: tuple[str, str]) -> list[dict]:
    r = await client.get("/v1/contexts/upnext/c?limit=200", auth=auth)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_replace_all_makes_the_list_exactly_the_body(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="old")
    await world.put_item(app, "c", content_id="kept", title="Before")
    body = {"items": [make_item(content_id="kept", title="After"), make_movie(content_id="new")]}
    r = await client.put("/v1/contexts/upnext/c/items", json=body, auth=app.auth)
    assert r.status_code == 200 and r.json() == {"message": "Success"}
    got = {i["content_id"]: i for i in await listed(client, app.auth)}
    assert set(got) == {"kept", "new"}
    assert got["kept"]["title"] == "After"


async def test_an_invalid_300th_item_leaves_the_list_untouched(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="before")
    items = [make_item(content_id=f"i{n}") for n in range(300)]
    items[299]["duration"] = -5
    r = await client.put("/v1/contexts/upnext/c/items", json={"items": items}, auth=app.auth)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["items.299.duration"]
    assert [i["content_id"] for i in await listed(client, app.auth)] == ["before"]


async def test_replace_with_an_empty_list_clears_it(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await world.put_item(app, "c")
    r = await client.put("/v1/contexts/upnext/c/items", json={"items": []}, auth=app.auth)
    assert r.status_code == 200
    assert await listed(client, app.auth) == []


async def test_replace_refuses_duplicates_and_more_than_500(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    twice = {"items": [make_item(content_id="a"), make_item(content_id="a")]}
    r = await client.put("/v1/contexts/upnext/c/items", json=twice, auth=app.auth)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["items.1.content_id"]
    many = {"items": [make_item(content_id=f"i{n}") for n in range(501)]}
    r = await client.put("/v1/contexts/upnext/c/items", json=many, auth=app.auth)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "items"


async def test_replace_in_another_apps_context_is_403(
    client: httpx.AsyncClient, world: World
) -> None:
    owner, other = await world.app("Owner"), await world.app("Other")
    await world.put_item(owner, "c")
    r = await client.put("/v1/contexts/upnext/c/items", json={"items": []}, auth=other.auth)
    assert r.status_code == 403
    assert len(await listed(client, owner.auth)) == 1


async def test_batch_upserts_and_deletes_in_one_go(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="gone")
    await world.put_item(app, "c", content_id="stays")
    body = {
        "upsert": [make_item(content_id="added"), make_item(content_id="stays", title="New")],
        "delete": ["gone", "never-existed"],
    }
    r = await client.post("/v1/contexts/upnext/c/items:batch", json=body, auth=app.auth)
    assert r.status_code == 200 and r.json() == {"message": "Success"}
    got = {i["content_id"]: i["title"] for i in await listed(client, app.auth)}
    assert got == {"added": body["upsert"][0]["title"], "stays": "New"}


async def test_an_invalid_batch_changes_nothing(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="keep")
    body = {
        "upsert": [make_item(content_id="a"), make_item(content_id="b", title="")],
        "delete": ["keep"],
    }
    r = await client.post("/v1/contexts/upnext/c/items:batch", json=body, auth=app.auth)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["upsert.1.title"]
    assert [i["content_id"] for i in await listed(client, app.auth)] == ["keep"]


async def test_a_batch_over_500_or_with_conflicts_is_422(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    body = {"upsert": [make_item(content_id=f"u{n}") for n in range(300)]}
    body["delete"] = [f"d{n}" for n in range(201)]
    r = await client.post("/v1/contexts/upnext/c/items:batch", json=body, auth=app.auth)
    assert r.status_code == 422
    both = {"upsert": [make_item(content_id="x")], "delete": ["x"]}
    r = await client.post("/v1/contexts/upnext/c/items:batch", json=both, auth=app.auth)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["delete.0"]


async def test_batch_reports_stale_items_and_keeps_them(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="a", position=500, event_time="2026-01-02T00:00:00Z")
    body = {
        "upsert": [
            make_item(content_id="a", position=1, event_time="2026-01-01T00:00:00Z"),
            make_item(content_id="b"),
        ]
    }
    r = await client.post("/v1/contexts/upnext/c/items:batch", json=body, auth=app.auth)
    assert r.json() == {"message": "Success", "stale": ["a"]}
    got = {i["content_id"]: i for i in await listed(client, app.auth)}
    assert got["a"]["position"] == 500 and "b" in got
