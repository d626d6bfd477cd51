"""POST /v1/contexts/upnext/{context_id}/progress: the server applies the Publisher Guidelines."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import World, make_item

URL = "/v1/contexts/upnext/ctx-p/progress"


def progress(position: int, **overrides: Any) -> dict[str, Any]:
    body = make_item(content_id="ep1", episode=1, duration=2000, position=position, **overrides)
    body.pop("action")
    return body


async def items(client: httpx.AsyncClient, auth: tuple[str, str]) -> list[dict[str, Any]]:
    r = await client.get("/v1/contexts/upnext/ctx-p", auth=auth)
    if r.status_code == 404:
        return []
    return list(r.json()["items"])


async def test_a_viewing_goes_from_nothing_to_continue_to_next(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    next_episode = make_item(content_id="ep2", episode=2, action=None, position=None)

    r = await client.post(URL, json=progress(30), auth=app.auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"phase": "not_started", "result": ["ignored"]}
    assert await items(client, app.auth) == []

    r = await client.post(URL, json=progress(121), auth=app.auth)
    assert r.json() == {"phase": "watching", "result": ["added"]}
    [item] = await items(client, app.auth)
    assert (item["content_id"], item["action"], item["position"]) == (
        "ep1",
        "up_next_continue",
        121,
    )

    r = await client.post(URL, json=progress(900), auth=app.auth)
    assert r.json() == {"phase": "watching", "result": ["updated"]}
    [item] = await items(client, app.auth)
    assert item["position"] == 900

    body = progress(1900, credits_position=1850, next=next_episode)
    r = await client.post(URL, json=body, auth=app.auth)
    assert r.json() == {"phase": "finished", "result": ["removed", "next_added"]}
    [item] = await items(client, app.auth)
    assert (item["content_id"], item["action"]) == ("ep2", "up_next_next")
    assert "position" not in item


async def test_finishing_without_a_next_episode_only_removes(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await client.post(URL, json=progress(500), auth=app.auth)
    r = await client.post(URL, json=progress(1940), auth=app.auth)  # exactly 3 % remains
    assert r.json() == {"phase": "finished", "result": ["removed"]}
    assert await items(client, app.auth) == []


async def test_a_barely_started_episode_keeps_the_stored_item(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await world.put_item(app, "ctx-p", content_id="ep1", action="up_next_next", position=None)
    r = await client.post(URL, json=progress(10), auth=app.auth)
    assert r.json() == {"phase": "not_started", "result": ["ignored"]}
    [item] = await items(client, app.auth)
    assert item["action"] == "up_next_next"


async def test_hidden_survives_progress(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    await world.put_item(app, "ctx-p", content_id="ep1", hidden=True)
    await client.post(URL, json=progress(700), auth=app.auth)
    [item] = await items(client, app.auth)
    assert item["hidden"] is True and item["position"] == 700


async def test_another_apps_context_is_forbidden(client: httpx.AsyncClient, world: World) -> None:
    owner, other = await world.app("Owner"), await world.app("Other")
    await world.put_item(owner, "ctx-p")
    r = await client.post(URL, json=progress(500), auth=other.auth)
    assert r.status_code == 403
    assert r.json()["code"] == "wrong_app"


async def test_bad_reports_are_422_naming_the_fields(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    cases = [
        (progress(2500), "position"),
        (progress(100, credits_position=2001), "credits_position"),
        ({k: v for k, v in progress(100).items() if k != "position"}, "position"),
        (progress(100, next={"content_id": "x"}), "next"),
        (progress(100, credits=5), "credits"),
        (progress(100, next=make_item(action="up_next_continue")), "next"),
    ]
    for body, field in cases:
        r = await client.post(URL, json=body, auth=app.auth)
        assert r.status_code == 422, (field, r.text)
        fields = [e["field"] for e in r.json()["errors"]]
        assert any(f.startswith(field) for f in fields), (field, fields)
    assert await items(client, app.auth) == []


async def test_platform_keys_cannot_report(client: httpx.AsyncClient, world: World) -> None:
    platform = await world.platform()
    r = await client.post(URL, json=progress(500), auth=platform.auth)
    assert r.status_code == 403


async def test_a_report_older_than_the_stored_state_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    newer, older = "2024-05-01T20:15:03.120Z", "2024-05-01T20:00:00.000Z"
    r = await client.post(URL, json=progress(900, event_time=newer), auth=app.auth)
    assert r.json()["result"] == ["added"]
    for position in (300, 1990):  # neither an older position nor an older finish applies
        body = progress(position, event_time=older)
        r = await client.post(URL, json=body, auth=app.auth)
        assert r.json()["result"] == ["ignored"], r.text
    [item] = await items(client, app.auth)
    assert item["position"] == 900
