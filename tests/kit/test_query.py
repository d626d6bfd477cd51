"""Every list refuses a query parameter it does not declare: 400 naming it, nothing else
changes; the parameters it declares work as before."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import ADMIN, World
from upnext.app import create_app
from upnext.settings import Settings

# Every GET that takes query parameters, with the role that may call it.
LISTS = {
    "/v1/sessions/upnext/{session_id}": "platform",
    "/v1/sessions/upnext/{session_id}/contexts": "platform",
    "/v1/sessions/upnext/{session_id}/{context_id}": "platform",
    "/v1/contexts/upnext/{context_id}": "publisher",
    "/v1/admin/platforms": "admin",
    "/v1/admin/apps": "admin",
    "/v1/admin/keys": "admin",
    "/v1/admin/audit-log": "admin",
    "/v1/platforms/{platform_id}/apps": "platform",
    "/v1/apps/{app_id}/webhook-deliveries": "publisher",
    "/v1/platforms/{platform_id}/webhook-deliveries": "platform",
}


def test_the_lists_are_every_get_with_a_query() -> None:
    document = create_app(Settings(database_url="sqlite://")).openapi()
    with_query = {
        path
        for path, operations in document["paths"].items()
        if any(p["in"] == "query" for p in operations.get("get", {}).get("parameters", []))
    }
    assert with_query == set(LISTS)


async def _setup(world: World) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    await world.put_item(app, "ctx-q", content_id="item-q")
    await world.attach(platform, "session-q", app, "ctx-q")
    keys = {"admin": ADMIN, "platform": platform.auth, "publisher": app.auth}
    ids = {
        "session_id": "session-q",
        "context_id": "ctx-q",
        "platform_id": platform.id,
        "app_id": app.id,
    }
    return keys, ids


def _url(path: str, ids: dict[str, str]) -> str:
    return path.format(**ids)


@pytest.mark.parametrize("path", sorted(LISTS))
async def test_an_unknown_parameter_is_400_naming_it(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    keys, ids = await _setup(world)
    auth = keys[LISTS[path]]
    before = await client.get(_url(path, ids), params={"limit": 5}, auth=auth)
    assert before.status_code == 200, before.text

    r = await client.get(_url(path, ids), params={"limit": 5, "limt": 5}, auth=auth)

    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "invalid_parameter"
    assert body["errors"] == [{"field": "limt", "message": "unknown parameter"}]
    again = await client.get(_url(path, ids), params={"limit": 5}, auth=auth)
    assert again.status_code == 200
    if "audit-log" not in path:  # reading the audit log changes nothing, but others write
        assert again.json() == before.json()


async def test_every_unknown_parameter_is_named(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/admin/apps?a=1&b=2&a=3", auth=ADMIN)
    assert r.status_code == 400
    assert [e["field"] for e in r.json()["errors"]] == ["a", "b"]


async def test_the_declared_parameters_still_work(client: httpx.AsyncClient, world: World) -> None:
    keys, ids = await _setup(world)
    r = await client.get(
        "/v1/sessions/upnext/session-q",
        params={"limit": 1, "next_key": 0, "per_series": "true", "per_app_limit": 1},
        auth=keys["platform"],
    )
    assert r.status_code == 200, r.text
    assert [i["content_id"] for i in r.json()["items"]] == ["item-q"]
    r = await client.get(
        "/v1/sessions/upnext/session-q/contexts",
        params={"platform_id": ids["platform_id"], "limit": 1},
        auth=ADMIN,
    )
    assert r.status_code == 200, r.text
    for path in ("/v1/sessions/upnext/session-q", "/v1/sessions/upnext/session-q/contexts"):
        # The operator's parameter, tolerated from a platform key that names itself.
        r = await client.get(
            path, params={"platform_id": ids["platform_id"]}, auth=keys["platform"]
        )
        assert r.status_code == 200, r.text
        r = await client.get(path, params={"platform_id": "PL1"}, auth=keys["platform"])
        assert r.status_code == 403, r.text
    r = await client.get(
        f"/v1/apps/{ids['app_id']}/webhook-deliveries",
        params={"status": "pending", "limit": 1},
        auth=keys["publisher"],
    )
    assert r.status_code == 200, r.text


async def test_credentials_are_checked_before_the_query(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/admin/apps?bogus=1")
    assert r.status_code == 401
