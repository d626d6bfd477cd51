"""Strong ETags on lists: they change exactly when what the client sees changes."""

from __future__ import annotations

import httpx

from tests.factories import ADMIN, Tenant, World


async def etag(client: httpx.AsyncClient, path: str, auth: tuple[str, str]) -> str:
    r = await client.get(path, auth=auth)
    assert r.status_code == 200, r.text
    tag = r.headers["ETag"]
    assert tag.startswith('"') and not tag.startswith("W/")
    return tag


async def setup(world: World) -> tuple[Tenant, Tenant]:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    await world.put_item(app, "c", content_id="a")
    await world.put_item(app, "c", content_id="b")
    await world.attach(platform, "s", app, "c")
    return platform, app


async def test_if_none_match_answers_304_while_nothing_changed(
    client: httpx.AsyncClient, world: World
) -> None:
    platform, _ = await setup(world)
    tag = await etag(client, "/v1/sessions/upnext/s", platform.auth)
    for sent in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        r = await client.get(
            "/v1/sessions/upnext/s", auth=platform.auth, headers={"If-None-Match": sent}
        )
        assert r.status_code == 304, sent
        assert r.content == b"" and r.headers["ETag"] == tag
    r = await client.get(
        "/v1/sessions/upnext/s", auth=platform.auth, headers={"If-None-Match": '"stale"'}
    )
    assert r.status_code == 200 and r.json()["total"] == 2


async def test_the_etag_changes_exactly_when_the_visible_list_changes(
    client: httpx.AsyncClient, world: World
) -> None:
    platform, app = await setup(world)
    path = "/v1/sessions/upnext/s"
    first = await etag(client, path, platform.auth)
    assert await etag(client, path, platform.auth) == first  # reading changes nothing

    # Writes that change nothing visible keep the tag: another context, a no-op hide.
    await world.put_item(app, "unattached", content_id="z")
    hide_b = {"content_id": "b", "action": "unhide"}
    r = await client.put("/v1/sessions/upnext/s/c", json=hide_b, auth=platform.auth)
    assert r.status_code == 200
    assert await etag(client, path, platform.auth) == first

    r = await client.put(
        "/v1/sessions/upnext/s/c", json={"content_id": "b", "action": "hide"}, auth=platform.auth
    )
    hidden = await etag(client, path, platform.auth)
    assert hidden != first

    await world.put_item(app, "c", content_id="new")
    written = await etag(client, path, platform.auth)
    assert written not in (first, hidden)

    r = await client.delete("/v1/sessions/upnext/s/c", auth=platform.auth)
    assert r.status_code == 204
    detached = await etag(client, path, platform.auth)
    assert detached not in (first, hidden, written)


async def test_every_list_carries_an_etag(client: httpx.AsyncClient, world: World) -> None:
    platform, app = await setup(world)
    for path, auth in (
        ("/v1/contexts/upnext/c", app.auth),
        ("/v1/sessions/upnext/s", platform.auth),
        ("/v1/sessions/upnext/s/c", platform.auth),
        ("/v1/sessions/upnext/s/contexts", platform.auth),
    ):
        tag = await etag(client, path, auth)
        r = await client.get(path, auth=auth, headers={"If-None-Match": tag})
        assert r.status_code == 304, path


async def test_the_other_lists_carry_one_too(client: httpx.AsyncClient, world: World) -> None:
    platform, app = await setup(world)
    for path, auth in (
        ("/v1/admin/apps", ADMIN),
        ("/v1/admin/platforms", ADMIN),
        (f"/v1/platforms/{platform.id}/apps", platform.auth),
        (f"/v1/apps/{app.id}/webhook-deliveries", app.auth),
    ):
        tag = await etag(client, path, auth)
        r = await client.get(path, auth=auth, headers={"If-None-Match": tag})
        assert r.status_code == 304 and r.content == b"", path
        assert r.headers["ETag"] == tag
    await world.app("Another")
    r = await client.get("/v1/admin/apps", auth=ADMIN, headers={"If-None-Match": tag})
    assert r.status_code == 200


async def test_errors_carry_no_etag(client: httpx.AsyncClient, world: World) -> None:
    platform, _ = await setup(world)
    r = await client.get("/v1/sessions/upnext/nope", auth=platform.auth)
    assert r.status_code == 404 and "ETag" not in r.headers
