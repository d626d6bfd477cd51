"""GET/PUT /v1/apps/{app_id}/guidelines: per-app thresholds of the Publisher Guidelines."""

from __future__ import annotations

import httpx

from tests.factories import ADMIN, World, make_item

DEFAULTS = {"start_seconds": 120, "start_percent": 3.0, "end_percent": 3.0}


async def test_defaults_until_set(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    r = await client.get(f"/v1/apps/{app.id}/guidelines", auth=app.auth)
    assert r.status_code == 200
    assert r.json() == {"app_id": app.id, **DEFAULTS}
    r = await client.get(f"/v1/apps/{app.id}/guidelines", auth=ADMIN)
    assert r.status_code == 200


async def test_the_progress_endpoint_applies_the_apps_thresholds(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    trakt = {"start_seconds": 0, "start_percent": 0, "end_percent": 20}
    r = await client.put(f"/v1/apps/{app.id}/guidelines", json=trakt, auth=app.auth)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "app_id": app.id,
        "start_seconds": 0,
        "start_percent": 0.0,
        "end_percent": 20.0,
    }

    report = make_item(content_id="m", duration=1000, position=10)
    report.pop("action")
    url = "/v1/contexts/upnext/ctx/progress"
    r = await client.post(url, json=report, auth=app.auth)
    assert r.json() == {"phase": "watching", "result": ["added"]}  # 10 s: started here
    r = await client.post(url, json={**report, "position": 800}, auth=app.auth)
    assert r.json() == {"phase": "finished", "result": ["removed"]}  # 20 % left: finished

    r = await client.put(f"/v1/apps/{app.id}/guidelines", json={}, auth=app.auth)
    assert r.json() == {"app_id": app.id, **DEFAULTS}  # {} restores the defaults
    r = await client.post(url, json={**report, "position": 25}, auth=app.auth)
    assert r.json() == {"phase": "not_started", "result": ["ignored"]}


async def test_bad_thresholds_are_422(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    for body, field in [
        ({"start_seconds": -1}, "start_seconds"),
        ({"start_percent": 100.5}, "start_percent"),
        ({"end_percent": "3"}, "end_percent"),
        ({"finish": 1}, "finish"),
    ]:
        r = await client.put(f"/v1/apps/{app.id}/guidelines", json=body, auth=app.auth)
        assert r.status_code == 422, body
        assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_only_the_apps_own_publisher_may_set_them(
    client: httpx.AsyncClient, world: World
) -> None:
    app, other, platform = await world.app("A"), await world.app("B"), await world.platform()
    url = f"/v1/apps/{app.id}/guidelines"
    assert (await client.put(url, json={}, auth=other.auth)).status_code == 403
    assert (await client.put(url, json={}, auth=platform.auth)).status_code == 403
    assert (await client.put(url, json={}, auth=ADMIN)).status_code == 403
    assert (await client.get(url, auth=other.auth)).status_code == 403
