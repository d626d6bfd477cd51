"""Tenant checks of the portal and webhook routes, now made in their services.

Each route that names an app or a platform in its path answers another tenant's key
with ``403 wrong_app`` / ``wrong_platform`` before it looks anything up (so an unknown id
is 403 too, never a 404 that would tell which ids exist), before it reads or checks the
body, and without changing anything.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import ADMIN, World

UNKNOWN_APP = "AP000000000000000009"
UNKNOWN_PLATFORM = "PL000000000000000009"

# (method, path under /v1/apps/{app_id}, body: JSON, or bytes sent as text/plain)
APP_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "", None),
    ("PATCH", "", {"webhook_url": "http://hook.invalid/x"}),
    ("PATCH", "", {"attach_requires_handoff": True}),
    ("PUT", "/avails/{platform_id}", {"enabled": True}),
    ("PUT", "/media/icon@1x.png", b"not a png"),
    ("DELETE", "/media/icon@1x.png", None),
    ("GET", "/guidelines", None),
    ("PUT", "/guidelines", {"start_seconds": 1}),
    ("POST", "/webhook-secret", None),
    ("GET", "/webhook-deliveries", None),
    ("POST", "/webhook-deliveries/msg_x/retry", None),
    ("POST", "/webhook-test", None),
]

PLATFORM_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "", None),
    ("PATCH", "", {"webhook_url": "http://hook.invalid/x"}),
    ("GET", "/apps", None),
    ("PUT", "/apps/{app_id}/platform_data", {"k": "v"}),
    ("POST", "/webhook-secret", None),
    ("GET", "/webhook-deliveries", None),
    ("POST", "/webhook-deliveries/msg_x/retry", None),
    ("POST", "/webhook-test", None),
]


async def _send(
    client: httpx.AsyncClient, method: str, path: str, body: Any, auth: tuple[str, str]
) -> httpx.Response:
    if isinstance(body, bytes):  # text/plain too: the tenant check comes before not_png
        headers = {"content-type": "text/plain"}
        return await client.request(method, path, content=body, headers=headers, auth=auth)
    return await client.request(method, path, json=body, auth=auth)


@pytest.mark.parametrize(("method", "tail", "body"), APP_ROUTES)
async def test_another_apps_key_is_refused_first(
    client: httpx.AsyncClient, world: World, method: str, tail: str, body: Any
) -> None:
    platform = await world.platform()
    mine, theirs = await world.app("Mine"), await world.app("Theirs")
    before = (await client.get(f"/v1/apps/{mine.id}", auth=mine.auth)).json()
    for app_id in (mine.id, UNKNOWN_APP):
        path = f"/v1/apps/{app_id}" + tail.format(platform_id=platform.id)
        r = await _send(client, method, path, body, theirs.auth)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["code"] == "wrong_app", (method, path)
    assert (await client.get(f"/v1/apps/{mine.id}", auth=mine.auth)).json() == before
    r = await client.get(f"/v1/apps/{mine.id}/webhook-deliveries", auth=mine.auth)
    assert r.json()["total"] == 0


@pytest.mark.parametrize(("method", "tail", "body"), PLATFORM_ROUTES)
async def test_another_platforms_key_is_refused_first(
    client: httpx.AsyncClient, world: World, method: str, tail: str, body: Any
) -> None:
    mine, theirs = await world.platform("Mine"), await world.platform("Theirs")
    app = await world.app(platforms=(mine, theirs))
    before = (await client.get(f"/v1/platforms/{mine.id}/apps", auth=mine.auth)).json()
    for platform_id in (mine.id, UNKNOWN_PLATFORM):
        path = f"/v1/platforms/{platform_id}" + tail.format(app_id=app.id)
        r = await _send(client, method, path, body, theirs.auth)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["code"] == "wrong_platform", (method, path)
    after = (await client.get(f"/v1/platforms/{mine.id}/apps", auth=mine.auth)).json()
    assert after == before
    detail = (await client.get(f"/v1/platforms/{mine.id}", auth=mine.auth)).json()
    assert detail["webhook_url"] is None


@pytest.mark.parametrize(
    ("path", "code"),
    [
        (f"/v1/apps/{UNKNOWN_APP}", "app_not_found"),
        (f"/v1/apps/{UNKNOWN_APP}/guidelines", "app_not_found"),
        (f"/v1/apps/{UNKNOWN_APP}/webhook-deliveries", "app_not_found"),
        (f"/v1/platforms/{UNKNOWN_PLATFORM}", "platform_not_found"),
        (f"/v1/platforms/{UNKNOWN_PLATFORM}/apps", "platform_not_found"),
        (f"/v1/platforms/{UNKNOWN_PLATFORM}/webhook-deliveries", "platform_not_found"),
    ],
)
async def test_the_operator_reads_any_tenant_and_learns_what_is_missing(
    client: httpx.AsyncClient, path: str, code: str
) -> None:
    r = await client.get(path, auth=ADMIN)
    assert r.status_code == 404, r.text
    assert r.json()["code"] == code
    kind, tenant = path.split("/")[2:4]
    assert r.json()["detail"] == f"No {kind[:-1]} {tenant}."
