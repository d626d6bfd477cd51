"""The Sessions API: attaching contexts, the aggregated list, hiding, removing."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from tests.factories import World, make_png
from upnext.db.tables import webhook_deliveries


async def test_attach_returns_the_session_context_object(
    client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    r = await client.put(
        "/v1/sessions/upnext/s1", json={"app_id": app.id, "context_id": "c1"}, auth=platform.auth
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"session_id", "context_id", "app_id", "created_at"}
    assert body["session_id"] == "s1"
    assert body["context_id"] == "c1"
    assert body["app_id"] == app.id
    # the platform created the context for the app: the app's publisher owns it now
    await world.put_item(app, "c1")


async def test_attach_is_idempotent_and_replaces_the_apps_context(
    client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    first = await client.put(
        "/v1/sessions/upnext/s", json={"app_id": app.id, "context_id": "a"}, auth=platform.auth
    )
    again = await client.put(
        "/v1/sessions/upnext/s", json={"app_id": app.id, "context_id": "a"}, auth=platform.auth
    )
    assert again.json() == first.json()
    await client.put(
        "/v1/sessions/upnext/s", json={"app_id": app.id, "context_id": "b"}, auth=platform.auth
    )
    body = (await client.get("/v1/sessions/upnext/s/contexts", auth=platform.auth)).json()
    assert body["total"] == 1
    assert body["items"][0]["context_id"] == "b"


async def test_attach_errors(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    enabled = await world.app("enabled", platforms=(platform,))
    other = await world.app("not enabled")
    await world.put_item(enabled, "owned")

    async def attach(app_id: str, context_id: str) -> httpx.Response:
        body = {"app_id": app_id, "context_id": context_id}
        return await client.put("/v1/sessions/upnext/s", json=body, auth=platform.auth)

    r = await attach("AP999999999999999999", "c")
    assert (r.status_code, r.json()["code"]) == (404, "app_not_found")
    r = await attach(other.id, "c")
    assert (r.status_code, r.json()["code"]) == (403, "app_not_available")
    await world.enable(other, platform)
    r = await attach(other.id, "owned")
    assert (r.status_code, r.json()["code"]) == (409, "context_of_other_app")
    r = await client.put("/v1/sessions/upnext/s", json={"app_id": enabled.id}, auth=platform.auth)
    assert r.status_code == 422
    r = await attach(enabled.id, "contexts")
    assert r.status_code == 422
    # none of the failures created the session
    r = await client.get("/v1/sessions/upnext/s", auth=platform.auth)
    assert r.status_code == 404


async def test_aggregated_list_merges_apps_newest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    a = await world.app("A", platforms=(platform,))
    b = await world.app("B", platforms=(platform,))
    written = []
    for i in range(6):
        app, context = (a, "ca") if i % 2 == 0 else (b, "cb")
        await world.put_item(app, context, content_id=f"item-{i}")
        written.append(f"item-{i}")
    await world.attach(platform, "s", a, "ca")
    await world.attach(platform, "s", b, "cb")
    body = (await client.get("/v1/sessions/upnext/s", auth=platform.auth)).json()
    assert body["total"] == 6
    assert [i["content_id"] for i in body["items"]] == written[::-1]
    stamps = [i["updated_at"] for i in body["items"]]
    assert stamps == sorted(stamps, reverse=True)
    assert {i["app_id"] for i in body["items"]} == {a.id, b.id}


async def test_items_carry_platform_data_and_only_uploaded_media(
    client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    await world.put_item(app, "c")
    await world.attach(platform, "s", app, "c")
    [item] = (await client.get("/v1/sessions/upnext/s", auth=platform.auth)).json()["items"]
    assert item["platform_data"] == {}
    assert item["app_media"] == {}

    r = await client.put(
        f"/v1/platforms/{platform.id}/apps/{app.id}/platform_data",
        json={"platform_app_id": "internalAppId12345", "rank": 3, "featured": True},
        auth=platform.auth,
    )
    assert r.status_code == 200
    r = await client.put(
        f"/v1/apps/{app.id}/media/icon@1x.png",
        content=make_png(240, 240),
        headers={"content-type": "image/png"},
        auth=app.auth,
    )
    assert r.status_code == 200
    for path in ("/v1/sessions/upnext/s", "/v1/sessions/upnext/s/c"):
        [item] = (await client.get(path, auth=platform.auth)).json()["items"]
        assert item["platform_data"] == {
            "platform_app_id": "internalAppId12345",
            "rank": 3,
            "featured": True,
        }
        assert item["app_media"] == {"icon_1x": f"http://testserver/media/{app.id}/icon@1x.png"}


async def test_withdrawn_avail_hides_the_apps_items(
    client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    a = await world.app("A", platforms=(platform,))
    b = await world.app("B", platforms=(platform,))
    await world.put_item(a, "ca")
    await world.put_item(b, "cb")
    await world.attach(platform, "s", a, "ca")
    await world.attach(platform, "s", b, "cb")
    await world.enable(b, platform, enabled=False)
    body = (await client.get("/v1/sessions/upnext/s", auth=platform.auth)).json()
    assert body["total"] == 1
    assert body["items"][0]["app_id"] == a.id
    r = await client.get("/v1/sessions/upnext/s/cb", auth=platform.auth)
    assert (r.status_code, r.json()["code"]) == (403, "app_not_available")


async def test_one_context_list(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    a = await world.app("A", platforms=(platform,))
    b = await world.app("B", platforms=(platform,))
    await world.put_item(a, "ca", content_id="from-a")
    await world.put_item(b, "cb", content_id="from-b")
    await world.attach(platform, "s", a, "ca")
    await world.attach(platform, "s", b, "cb")
    body = (await client.get("/v1/sessions/upnext/s/cb", auth=platform.auth)).json()
    assert [i["content_id"] for i in body["items"]] == ["from-b"]
    r = await client.get("/v1/sessions/upnext/s/not-attached", auth=platform.auth)
    assert (r.status_code, r.json()["code"]) == (404, "context_not_attached")


async def test_hide_and_unhide_queue_webhook_events(
    client: httpx.AsyncClient, world: World, app: object
) -> None:
    platform = await world.platform()
    publisher = await world.app(platforms=(platform,))
    await world.put_item(publisher, "c", content_id="x")
    await world.attach(platform, "s", publisher, "c")

    async def hide(action: str, content_id: str = "x") -> httpx.Response:
        body = {"content_id": content_id, "action": action}
        return await client.put("/v1/sessions/upnext/s/c", json=body, auth=platform.auth)

    r = await hide("hide")
    assert (r.status_code, r.json()) == (200, {"message": "Success"})
    [item] = (await client.get("/v1/sessions/upnext/s", auth=platform.auth)).json()["items"]
    assert item["hidden"] is True
    [item] = (await client.get("/v1/contexts/upnext/c", auth=publisher.auth)).json()["items"]
    assert item["hidden"] is True
    assert (await hide("hide")).status_code == 200  # no change, no second event
    assert (await hide("unhide")).status_code == 200

    async with app.state.db.read() as conn:  # type: ignore[attr-defined]
        rows = (
            (
                await conn.execute(
                    select(webhook_deliveries).order_by(webhook_deliveries.c.created_at)
                )
            )
            .mappings()
            .all()
        )
    assert [r["event_type"] for r in rows] == ["item_hidden", "item_unhidden"]
    assert all(r["app_id"] == publisher.id for r in rows)
    import orjson

    payload = orjson.loads(rows[0]["payload"])
    assert payload["type"] == "item_hidden"
    assert payload["data"] == {
        "app_id": publisher.id,
        "context_id": "c",
        "content_id": "x",
        "platform_id": platform.id,
        "session_id": "s",
        "hidden": True,
    }

    r = await hide("hide", "missing")
    assert (r.status_code, r.json()["code"]) == (404, "item_not_found")
    r = await client.put(
        "/v1/sessions/upnext/s/other",
        json={"content_id": "x", "action": "hide"},
        auth=platform.auth,
    )
    assert (r.status_code, r.json()["code"]) == (404, "context_not_attached")
    r = await hide("delete")
    assert r.status_code == 422


async def test_detach_and_delete_session(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    await world.put_item(app, "c")
    await world.attach(platform, "s", app, "c")
    assert (await client.delete("/v1/sessions/upnext/s/c", auth=platform.auth)).status_code == 204
    assert (await client.delete("/v1/sessions/upnext/s/c", auth=platform.auth)).status_code == 404
    body = (await client.get("/v1/sessions/upnext/s", auth=platform.auth)).json()
    assert body == {"total": 0, "items": []}

    await world.attach(platform, "s", app, "c")
    assert (await client.delete("/v1/sessions/upnext/s", auth=platform.auth)).status_code == 204
    assert (await client.get("/v1/sessions/upnext/s", auth=platform.auth)).status_code == 404
    assert (await client.delete("/v1/sessions/upnext/s", auth=platform.auth)).status_code == 404
    # the context's items are untouched
    assert (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()["total"] == 1


async def test_sessions_are_namespaced_by_platform(client: httpx.AsyncClient, world: World) -> None:
    p1, p2 = await world.platform("P1"), await world.platform("P2")
    app = await world.app(platforms=(p1, p2))
    await world.put_item(app, "c1", content_id="one")
    await world.put_item(app, "c2", content_id="two")
    await world.attach(p1, "same", app, "c1")
    await world.attach(p2, "same", app, "c2")
    one = (await client.get("/v1/sessions/upnext/same", auth=p1.auth)).json()
    two = (await client.get("/v1/sessions/upnext/same", auth=p2.auth)).json()
    assert [i["content_id"] for i in one["items"]] == ["one"]
    assert [i["content_id"] for i in two["items"]] == ["two"]
    await client.delete("/v1/sessions/upnext/same", auth=p1.auth)
    assert (await client.get("/v1/sessions/upnext/same", auth=p2.auth)).status_code == 200


async def test_unknown_session_is_404(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    for path in ("/v1/sessions/upnext/nope", "/v1/sessions/upnext/nope/contexts"):
        r = await client.get(path, auth=platform.auth)
        assert (r.status_code, r.json()["code"]) == (404, "session_not_found")
