"""Who may call what: keys, roles and tenant isolation (CONTRACT section 1)."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import ADMIN, World, make_item

ALL_ENDPOINTS = [
    ("PUT", "/v1/sessions/upnext/s"),
    ("GET", "/v1/sessions/upnext/s"),
    ("DELETE", "/v1/sessions/upnext/s"),
    ("GET", "/v1/sessions/upnext/s/contexts"),
    ("GET", "/v1/sessions/upnext/s/c"),
    ("PUT", "/v1/sessions/upnext/s/c"),
    ("DELETE", "/v1/sessions/upnext/s/c"),
    ("POST", "/v1/contexts/upnext"),
    ("PUT", "/v1/contexts/upnext/c"),
    ("GET", "/v1/contexts/upnext/c"),
    ("DELETE", "/v1/contexts/upnext/c/x"),
    ("DELETE", "/v1/contexts/upnext/c/sessions"),
    ("POST", "/v1/admin/platforms"),
    ("GET", "/v1/admin/platforms"),
    ("POST", "/v1/admin/apps"),
    ("GET", "/v1/admin/apps"),
    ("DELETE", "/v1/admin/keys/KY000000000000000009"),
    ("GET", "/v1/apps/AP000000000000000009"),
    ("PUT", "/v1/apps/AP000000000000000009/avails/PL000000000000000009"),
]


@pytest.mark.parametrize(("method", "path"), ALL_ENDPOINTS)
@pytest.mark.parametrize(
    "auth",
    [None, ("KY000000000000000777", "wrong"), (ADMIN[0], "wrong-secret")],
    ids=["no key", "unknown key", "wrong secret"],
)
async def test_bad_credentials_are_401(
    client: httpx.AsyncClient, method: str, path: str, auth: tuple[str, str] | None
) -> None:
    r = await client.request(method, path, auth=auth)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Basic realm="upnext"'
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 401


@pytest.mark.parametrize(
    "path",
    [
        "/v1/sessions/upnext/s?limit=0",
        "/v1/sessions/upnext/s/c?next_key=-1",
        "/v1/sessions/upnext/s/contexts?limit=999",
    ],
)
async def test_without_credentials_a_bad_query_is_still_401(
    client: httpx.AsyncClient, path: str
) -> None:
    # The session reads check the key themselves; a missing one must still come first.
    r = await client.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Basic realm="upnext"'


async def test_garbled_authorization_header_is_401(client: httpx.AsyncClient) -> None:
    for header in ("Basic !!!", "Basic", "Bearer abc", "Basic " + "QQ=="):
        r = await client.get("/v1/admin/apps", headers={"authorization": header})
        assert r.status_code == 401, header


async def test_revoked_key_fails_at_once(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    assert (await client.post("/v1/contexts/upnext", auth=app.auth)).status_code == 201
    r = await client.delete(f"/v1/admin/keys/{app.key_id}", auth=ADMIN)
    assert r.status_code == 204
    assert (await client.post("/v1/contexts/upnext", auth=app.auth)).status_code == 401
    # revoking twice is fine; an unknown key is 404; the operator cannot lock itself out
    assert (await client.delete(f"/v1/admin/keys/{app.key_id}", auth=ADMIN)).status_code == 204
    r = await client.delete("/v1/admin/keys/KY123", auth=ADMIN)
    assert r.status_code == 404
    r = await client.delete(f"/v1/admin/keys/{ADMIN[0]}", auth=ADMIN)
    assert r.status_code == 409


async def test_wrong_role_is_403(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    cases = [
        (platform.auth, "PUT", "/v1/contexts/upnext/c", make_item()),
        (platform.auth, "POST", "/v1/contexts/upnext", None),
        (platform.auth, "POST", "/v1/admin/apps", {"name": "x"}),
        (app.auth, "PUT", "/v1/sessions/upnext/s", {"app_id": app.id, "context_id": "c"}),
        (app.auth, "GET", "/v1/sessions/upnext/s", None),
        (app.auth, "POST", "/v1/admin/platforms", {"name": "x"}),
        (app.auth, "GET", f"/v1/platforms/{platform.id}/apps", None),
        (platform.auth, "GET", f"/v1/apps/{app.id}", None),
        (ADMIN, "PUT", "/v1/contexts/upnext/c", make_item()),
        (ADMIN, "PUT", "/v1/sessions/upnext/s", {"app_id": app.id, "context_id": "c"}),
    ]
    for auth, method, path, body in cases:
        r = await client.request(method, path, json=body, auth=auth)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["code"] == "wrong_role"


async def test_admin_may_read_everything(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    await world.put_item(app, "c")
    await world.attach(platform, "s", app, "c")
    for path in (
        "/v1/contexts/upnext/c",
        f"/v1/apps/{app.id}",
        f"/v1/platforms/{platform.id}/apps",
        "/v1/sessions/upnext/s",
        "/v1/sessions/upnext/s/contexts",
        "/v1/sessions/upnext/s/c",
        f"/v1/sessions/upnext/s?platform_id={platform.id}",
    ):
        r = await client.get(path, auth=ADMIN)
        assert r.status_code == 200, (path, r.text)


async def test_platforms_never_see_each_others_sessions(
    client: httpx.AsyncClient, world: World
) -> None:
    a, b = await world.platform("A"), await world.platform("B")
    app = await world.app(platforms=(a, b))
    await world.put_item(app, "c")
    await world.attach(a, "private", app, "c")
    for method, path in [
        ("GET", "/v1/sessions/upnext/private"),
        ("GET", "/v1/sessions/upnext/private/contexts"),
        ("GET", "/v1/sessions/upnext/private/c"),
        ("DELETE", "/v1/sessions/upnext/private/c"),
        ("DELETE", "/v1/sessions/upnext/private"),
    ]:
        r = await client.request(method, path, auth=b.auth)
        assert r.status_code == 404, path
    r = await client.put(
        "/v1/sessions/upnext/private/c", json={"content_id": "x", "action": "hide"}, auth=b.auth
    )
    assert r.status_code == 404
    r = await client.get(f"/v1/sessions/upnext/private?platform_id={a.id}", auth=b.auth)
    assert r.status_code == 403
    for path in (f"/v1/platforms/{a.id}/apps",):
        assert (await client.get(path, auth=b.auth)).status_code == 403
    r = await client.put(
        f"/v1/platforms/{a.id}/apps/{app.id}/platform_data", json={"k": "v"}, auth=b.auth
    )
    assert r.status_code == 403
    # A's session is intact
    assert (await client.get("/v1/sessions/upnext/private", auth=a.auth)).json()["total"] == 1


async def test_publishers_never_touch_each_others_apps(
    client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    a, b = await world.app("A"), await world.app("B")
    await world.put_item(a, "mine")
    cases = [
        ("GET", f"/v1/apps/{a.id}", None),
        ("PATCH", f"/v1/apps/{a.id}", {"webhook_url": None}),
        ("PUT", f"/v1/apps/{a.id}/avails/{platform.id}", {"enabled": True}),
        ("DELETE", f"/v1/apps/{a.id}/media/icon@1x.png", None),
        ("GET", "/v1/contexts/upnext/mine", None),
        ("PUT", "/v1/contexts/upnext/mine", make_item()),
        ("DELETE", "/v1/contexts/upnext/mine/x", None),
    ]
    for method, path, body in cases:
        r = await client.request(method, path, json=body, auth=b.auth)
        assert r.status_code == 403, (method, path)
    assert (await client.get("/v1/contexts/upnext/mine", auth=a.auth)).json()["total"] == 1
