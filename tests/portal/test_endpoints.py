"""The Portal API: accounts, keys, avails, platform data and media."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.factories import ADMIN, World, make_png

SERVER_ID = re.compile(r"^(PL|AP|KY)\d{18}$")


async def test_create_and_list_platforms_and_apps(client: httpx.AsyncClient) -> None:
    created = []
    for name in ("One", "Two", "Three"):
        r = await client.post("/v1/admin/platforms", json={"name": name}, auth=ADMIN)
        assert r.status_code == 201
        body = r.json()
        assert set(body) == {"platform_id", "name", "created_at"}
        assert SERVER_ID.match(body["platform_id"])
        assert body["platform_id"].startswith("PL")
        created.append(body)
    r = await client.get("/v1/admin/platforms?limit=2", auth=ADMIN)
    assert r.json()["total"] == 3
    assert r.json()["next_key"] == 2
    # newest first; ids are time-ordered
    assert [p["name"] for p in r.json()["items"]] == ["Three", "Two"]

    r = await client.post("/v1/admin/apps", json={"name": "Flix"}, auth=ADMIN)
    assert r.status_code == 201
    assert r.json()["app_id"].startswith("AP")
    r = await client.get("/v1/admin/apps", auth=ADMIN)
    assert [a["name"] for a in r.json()["items"]] == ["Flix"]


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": "   "}, {"name": 5}, {"name": "x" * 201}]
)
async def test_bad_names_are_422(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    for path in ("/v1/admin/platforms", "/v1/admin/apps"):
        r = await client.post(path, json=body, auth=ADMIN)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] in ("name", "body")
    assert (await client.get("/v1/admin/apps", auth=ADMIN)).json()["total"] == 0


async def test_keys(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    app = await world.app()
    r = await client.post(f"/v1/admin/platforms/{platform.id}/keys", auth=ADMIN)
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"key_id", "secret", "role", "platform_id"}
    assert body["role"] == "platform"
    assert body["platform_id"] == platform.id
    assert len(body["secret"]) >= 22  # >= 128 bits in URL-safe base64
    r = await client.post(f"/v1/admin/apps/{app.id}/keys", auth=ADMIN)
    assert r.json()["role"] == "publisher"
    assert r.json()["app_id"] == app.id
    for path in ("/v1/admin/platforms/PL1/keys", "/v1/admin/apps/AP1/keys"):
        assert (await client.post(path, auth=ADMIN)).status_code == 404
    listed = (await client.get(f"/v1/admin/keys?app_id={app.id}", auth=ADMIN)).json()
    assert listed["total"] == 2
    assert all("secret" not in k and "secret_hash" not in k for k in listed["items"])


async def test_app_detail_and_webhook_url(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    r = await client.get(f"/v1/apps/{app.id}", auth=app.auth)
    assert r.status_code == 200
    body = r.json()
    assert body["app_id"] == app.id
    assert body["webhook_url"] is None
    assert body["app_media"] == {}
    assert [(a["platform_id"], a["enabled"]) for a in body["avails"]] == [(platform.id, True)]

    url = "https://hooks.example.com/upnext"
    r = await client.patch(f"/v1/apps/{app.id}", json={"webhook_url": url}, auth=app.auth)
    assert r.status_code == 200
    assert r.json()["webhook_url"] == url
    r = await client.patch(f"/v1/apps/{app.id}", json={"webhook_url": "not a url"}, auth=app.auth)
    assert r.status_code == 422
    r = await client.patch(f"/v1/apps/{app.id}", json={}, auth=app.auth)
    assert r.json()["webhook_url"] == url
    r = await client.patch(f"/v1/apps/{app.id}", json={"webhook_url": None}, auth=app.auth)
    assert r.json()["webhook_url"] is None


async def test_avails(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    app = await world.app()
    path = f"/v1/apps/{app.id}/avails/{platform.id}"
    r = await client.put(path, json={"enabled": True}, auth=app.auth)
    assert r.status_code == 200
    assert r.json()["enabled"] is True
    apps = (await client.get(f"/v1/platforms/{platform.id}/apps", auth=platform.auth)).json()
    assert [a["app_id"] for a in apps["items"]] == [app.id]
    await client.put(path, json={"enabled": False}, auth=app.auth)
    apps = (await client.get(f"/v1/platforms/{platform.id}/apps", auth=platform.auth)).json()
    assert apps == {"total": 0, "items": []}
    r = await client.put(f"/v1/apps/{app.id}/avails/PL404", json={"enabled": True}, auth=app.auth)
    assert r.status_code == 404
    r = await client.put(path, json={"enabled": "true"}, auth=app.auth)
    assert r.status_code == 422


async def test_platform_data(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    hidden_app = await world.app("not shared")
    path = f"/v1/platforms/{platform.id}/apps/{app.id}/platform_data"
    data = {"platform_app_id": "internal-1", "weight": 0.5, "promoted": False}
    r = await client.put(path, json=data, auth=platform.auth)
    assert r.status_code == 200
    assert r.json()["platform_data"] == data
    apps = (await client.get(f"/v1/platforms/{platform.id}/apps", auth=platform.auth)).json()
    assert apps["items"][0]["platform_data"] == data

    for bad in (
        {"nested": {"a": 1}},
        {"list": [1]},
        {"null": None},
        {f"k{n}": n for n in range(33)},
        {"big": "x" * 4100},
        ["not", "an", "object"],
    ):
        r = await client.put(path, json=bad, auth=platform.auth)
        assert r.status_code == 422, bad
    other = f"/v1/platforms/{platform.id}/apps/{hidden_app.id}/platform_data"
    assert (await client.put(other, json={}, auth=platform.auth)).status_code == 403
    missing = f"/v1/platforms/{platform.id}/apps/AP404/platform_data"
    assert (await client.put(missing, json={}, auth=platform.auth)).status_code == 404
    assert (await client.put(path, json={}, auth=platform.auth)).json()["platform_data"] == {}


SIZES = {
    "icon@1x.png": (240, 240, False),
    "icon@2x.png": (480, 480, False),
    "icon@3x.png": (960, 960, False),
    "tile@1x.png": (400, 240, False),
    "tile@2x.png": (800, 480, False),
    "logo_dark@1x.png": (400, 240, True),
    "logo_light@1x.png": (400, 240, True),
}
KEYS = {
    "icon@1x.png": "icon_1x",
    "icon@2x.png": "icon_2x",
    "icon@3x.png": "icon_3x",
    "tile@1x.png": "tile_1x",
    "tile@2x.png": "tile_2x",
    "logo_dark@1x.png": "logo_dark_1x",
    "logo_light@1x.png": "logo_light_1x",
}


async def _upload(
    client: httpx.AsyncClient,
    app_id: str,
    auth: tuple[str, str],
    name: str,
    body: bytes,
    content_type: str = "image/png",
) -> httpx.Response:
    return await client.put(
        f"/v1/apps/{app_id}/media/{name}",
        content=body,
        headers={"content-type": content_type},
        auth=auth,
    )


async def test_every_media_file_uploads_and_serves(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    for name, (w, h, alpha) in SIZES.items():
        png = make_png(w, h, alpha=alpha)
        r = await _upload(client, app.id, app.auth, name, png)
        assert r.status_code == 200, (name, r.text)
        served = await client.get(f"/media/{app.id}/{name}")
        assert served.status_code == 200
        assert served.content == png
        assert served.headers["content-type"] == "image/png"
    media = (await client.get(f"/v1/apps/{app.id}", auth=app.auth)).json()["app_media"]
    assert media == {KEYS[n]: f"http://testserver/media/{app.id}/{n}" for n in SIZES}


async def test_media_etag_and_304(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    await _upload(client, app.id, app.auth, "icon@1x.png", make_png(240, 240))
    r = await client.get(f"/media/{app.id}/icon@1x.png")
    etag = r.headers["etag"]
    assert etag.startswith('"')
    r = await client.get(f"/media/{app.id}/icon@1x.png", headers={"if-none-match": etag})
    assert r.status_code == 304
    assert r.content == b""
    await _upload(client, app.id, app.auth, "icon@1x.png", make_png(240, 240, alpha=True))
    r = await client.get(f"/media/{app.id}/icon@1x.png", headers={"if-none-match": etag})
    assert r.status_code == 200
    assert r.headers["etag"] != etag


async def test_bad_media_is_422_and_stores_nothing(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    png = make_png(240, 240)
    cases = [
        ("icon@4x.png", png, "image/png", "unknown_media_file"),
        ("icon@1x.png", make_png(241, 240), "image/png", "wrong_media_size"),
        ("icon@1x.png", b"GIF89a not a png", "image/png", "not_png"),
        ("icon@1x.png", png[: len(png) // 2], "image/png", "not_png"),
        ("icon@1x.png", png, "image/jpeg", "not_png"),
        ("logo_dark@1x.png", make_png(400, 240), "image/png", "no_alpha"),
    ]
    for name, body, content_type, code in cases:
        r = await _upload(client, app.id, app.auth, name, body, content_type)
        assert r.status_code == 422, name
        assert r.json()["code"] == code, name
    assert (await client.get(f"/v1/apps/{app.id}", auth=app.auth)).json()["app_media"] == {}
    assert (await client.get(f"/media/{app.id}/icon@1x.png")).status_code == 404


async def test_oversized_media_is_413(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    r = await _upload(client, app.id, app.auth, "icon@1x.png", b"\x89PNG" + b"0" * (9 * 2**20))
    assert r.status_code == 413


async def test_delete_media(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    await _upload(client, app.id, app.auth, "tile@1x.png", make_png(400, 240))
    r = await client.delete(f"/v1/apps/{app.id}/media/tile@1x.png", auth=app.auth)
    assert r.status_code == 204
    assert (await client.get(f"/media/{app.id}/tile@1x.png")).status_code == 404
    r = await client.delete(f"/v1/apps/{app.id}/media/tile@1x.png", auth=app.auth)
    assert r.status_code == 404
