"""Series hide and snooze: the hide body's ``scope`` and ``until``, and the snooze job."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tests.factories import Tenant, World, make_item, make_movie
from tests.webhooks.receiver import Received, receiving
from tests.webhooks.scene import make_scene
from upnext import snoozes
from upnext.contexts.schemas import render_item
from upnext.db.tables import item_snoozes, items, series_hides
from upnext.kit.timestamps import iso, now_us, parse_iso

MINUTE_US = 60_000_000


async def _hide(
    client: httpx.AsyncClient, platform: Tenant, content_id: str, **extra: Any
) -> httpx.Response:
    body = {"content_id": content_id, "action": "hide", **extra}
    return await client.put("/v1/sessions/upnext/s/c", json=body, auth=platform.auth)


async def _hidden(client: httpx.AsyncClient, platform: Tenant) -> dict[str, bool]:
    r = await client.get("/v1/sessions/upnext/s?limit=200", auth=platform.auth)
    assert r.status_code == 200, r.text
    return {item["content_id"]: item["hidden"] for item in r.json()["items"]}


async def _stored(app: FastAPI, content_id: str) -> Any:
    async with app.state.db.read() as conn:
        result = await conn.execute(select(items).where(items.c.content_id == content_id))
        return result.one()


def _at(moment: int) -> int:
    """A moment as the wire carries it (milliseconds)."""
    return parse_iso(iso(moment))


def _events(received: list[Received]) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in received]


@pytest.fixture
async def show(client: httpx.AsyncClient, world: World) -> tuple[Tenant, Tenant]:
    """Two episodes of "lassie", one of "colt", a movie, attached to session s."""
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    for content_id, series in (("l1", "lassie"), ("l2", "lassie"), ("c1", "colt")):
        await world.put_item(app, "c", content_id=content_id, series_id=series)
    r = await client.put("/v1/contexts/upnext/c", json=make_movie(content_id="m"), auth=app.auth)
    assert r.status_code == 200
    await world.attach(platform, "s", app, "c")
    return platform, app


async def test_a_hidden_series_hides_its_items_and_episodes_written_later(
    client: httpx.AsyncClient, world: World, show: tuple[Tenant, Tenant]
) -> None:
    platform, app = show
    assert (await _hide(client, platform, "l1", scope="series")).status_code == 200
    assert await _hidden(client, platform) == {"m": False, "c1": False, "l2": True, "l1": True}
    await world.put_item(app, "c", content_id="l3", series_id="lassie")  # a new episode
    await world.put_item(app, "c", content_id="l2", series_id="lassie", title="Again")  # kept
    await world.put_item(app, "c", content_id="c2", series_id="colt")
    hidden = await _hidden(client, platform)
    assert (hidden["l3"], hidden["l2"], hidden["c2"]) == (True, True, False)
    await world.put_item(app, "c", content_id="l4", series_id="lassie", hidden=False)  # written
    assert (await _hidden(client, platform))["l4"] is False

    r = await client.put(
        "/v1/sessions/upnext/s/c",
        json={"content_id": "l2", "action": "unhide", "scope": "series"},
        auth=platform.auth,
    )
    assert r.status_code == 200, r.text
    assert not any((await _hidden(client, platform)).values())
    await world.put_item(app, "c", content_id="l5", series_id="lassie")
    assert (await _hidden(client, platform))["l5"] is False


async def test_a_series_hide_names_an_item_with_a_series(
    client: httpx.AsyncClient, show: tuple[Tenant, Tenant]
) -> None:
    platform, _ = show
    r = await _hide(client, platform, "m", scope="series")
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "item_without_series"
    assert [e["field"] for e in r.json()["errors"]] == ["scope"]
    assert (await _hide(client, platform, "nope", scope="series")).status_code == 404
    assert (await _hide(client, platform, "l1", scope="season")).status_code == 422
    assert not any((await _hidden(client, platform)).values())


@pytest.mark.parametrize(
    "until",
    ["2020-01-01T00:00:00Z", "tomorrow", None, "past", "far"],
)
async def test_a_snooze_ends_in_the_future_within_a_year_and_only_hides(
    client: httpx.AsyncClient, show: tuple[Tenant, Tenant], until: str | None
) -> None:
    platform, _ = show
    moments = {"past": now_us() - 1000, "far": now_us() + 367 * 24 * 60 * MINUTE_US}
    body: dict[str, Any] = {"content_id": "l1", "action": "hide"}
    if until is None:  # a valid moment, but with unhide
        body |= {"action": "unhide", "until": iso(now_us() + MINUTE_US)}
    else:
        body["until"] = iso(moments[until]) if until in moments else until
    r = await client.put("/v1/sessions/upnext/s/c", json=body, auth=platform.auth)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["until"]


async def test_a_snooze_reads_visible_again_when_it_ends_before_any_job_ran(
    app: FastAPI, client: httpx.AsyncClient, show: tuple[Tenant, Tenant]
) -> None:
    platform, _ = show
    end = _at(now_us() + 1_000_000)
    assert (await _hide(client, platform, "l1", until=iso(end))).status_code == 200
    r = await client.get("/v1/sessions/upnext/s", auth=platform.auth)
    assert (await _hidden(client, platform))["l1"] is True
    deadline = time.monotonic() + 15
    while (await _hidden(client, platform))["l1"]:  # wait on the condition, not a guess
        assert time.monotonic() < deadline, "the snooze did not end"
        await asyncio.sleep(0.05)
    assert now_us() >= end  # not before its end
    stored = await _stored(app, "l1")
    assert (stored.hidden, stored.hidden_until) == (True, end)  # no job has run yet
    again = await client.get("/v1/sessions/upnext/s", auth=platform.auth)
    assert again.headers["etag"] != r.headers["etag"]
    own = await client.get("/v1/contexts/upnext/c", auth=show[1].auth)
    assert {i["content_id"]: i["hidden"] for i in own.json()["items"]}["l1"] is False


async def test_a_snooze_ends_with_an_item_unhidden_event(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url)
        [first] = scene.content_ids
        end = _at(now_us() + 10 * MINUTE_US)
        r = await client.put(
            f"/v1/sessions/upnext/{scene.session_id}/{scene.context_id}",
            json={"content_id": first, "action": "hide", "until": iso(end)},
            auth=scene.platform.auth,
        )
        assert r.status_code == 200, r.text
        [hidden] = _events(await receiver.wait_for(1))
        assert hidden["type"] == "item_hidden"
        assert hidden["data"]["until"] == iso(end)

        assert await snoozes.end_due(app.state.db, end - 1) == 0  # not yet
        assert await snoozes.end_due(app.state.db, end) == 1  # injected clock: it has ended
        assert await snoozes.end_due(app.state.db, end + 1) == 0  # once
        ended = _events(await receiver.wait_for(2))[1]

    assert ended["type"] == "item_unhidden"
    assert ended["data"] == {
        "app_id": scene.app.id,
        "context_id": scene.context_id,
        "content_id": first,
        "platform_id": scene.platform.id,
        "session_id": scene.session_id,
        "hidden": False,
        "reason": "snooze_ended",
    }
    stored = await _stored(app, first)
    assert (stored.hidden, stored.hidden_until) == (False, None)
    assert stored.rendered == render_item(stored._mapping)
    async with app.state.db.read() as conn:
        assert (await conn.execute(select(item_snoozes))).all() == []


async def test_a_series_snooze_ends_for_the_episodes_written_meanwhile(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url, items=0)
        app_tenant, platform = scene.app, scene.platform
        for content_id in ("e1", "e2"):
            await world.put_item(
                app_tenant, scene.context_id, content_id=content_id, series_id="sh"
            )
        end = _at(now_us() + 10 * MINUTE_US)
        r = await client.put(
            f"/v1/sessions/upnext/{scene.session_id}/{scene.context_id}",
            json={"content_id": "e2", "action": "hide", "scope": "series", "until": iso(end)},
            auth=platform.auth,
        )
        assert r.status_code == 200, r.text
        await world.put_item(app_tenant, scene.context_id, content_id="e3", series_id="sh")
        [hidden] = _events(await receiver.wait_for(1))
        assert hidden["type"] == "item_hidden"
        assert (hidden["data"]["scope"], hidden["data"]["series_id"]) == ("series", "sh")
        assert hidden["data"]["content_id"] == "e2"
        assert (await _stored(app, "e3")).hidden_until == end

        assert await snoozes.end_due(app.state.db, end + 5) == 1
        ended = _events(await receiver.wait_for(2))[1]
    assert ended["data"] | {"app_id": None} == {
        "app_id": None,
        "context_id": scene.context_id,
        "content_id": "e2",
        "platform_id": platform.id,
        "session_id": scene.session_id,
        "hidden": False,
        "scope": "series",
        "series_id": "sh",
        "reason": "snooze_ended",
    }
    for content_id in ("e1", "e2", "e3"):
        stored = await _stored(app, content_id)
        assert (stored.hidden, stored.hidden_until) == (False, None), content_id
        assert stored.rendered == render_item(stored._mapping)
    async with app.state.db.read() as conn:
        assert (await conn.execute(select(series_hides))).all() == []
    await world.put_item(app_tenant, scene.context_id, content_id="e4", series_id="sh")
    assert (await _stored(app, "e4")).hidden is False


async def test_the_snooze_job_ends_snoozes_on_its_own(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url)
        end = _at(now_us() + 10 * MINUTE_US)
        r = await client.put(
            f"/v1/sessions/upnext/{scene.session_id}/{scene.context_id}",
            json={"content_id": scene.content_ids[0], "action": "hide", "until": iso(end)},
            auth=scene.platform.auth,
        )
        assert r.status_code == 200, r.text
        settings = app.state.settings
        job = asyncio.create_task(
            snoozes.snooze_job(app.state.db, settings, interval=0.05, clock=lambda: end)
        )
        try:
            events = _events(await receiver.wait_for(2))
        finally:
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job
    assert [e["type"] for e in events] == ["item_hidden", "item_unhidden"]
    assert events[1]["data"]["reason"] == "snooze_ended"


async def test_a_publisher_writing_hidden_or_a_new_hide_ends_a_snooze_without_an_event(
    app: FastAPI, client: httpx.AsyncClient, show: tuple[Tenant, Tenant], world: World
) -> None:
    platform, publisher = show
    end = _at(now_us() + 10 * MINUTE_US)
    for content_id in ("l1", "l2", "c1"):
        assert (await _hide(client, platform, content_id, until=iso(end))).status_code == 200
    await world.put_item(publisher, "c", content_id="l1", series_id="lassie", hidden=False)
    assert (await _hide(client, platform, "l2")).status_code == 200  # hidden for good now
    r = await client.put(
        "/v1/sessions/upnext/s/c", json={"content_id": "c1", "action": "unhide"}, auth=platform.auth
    )
    assert r.status_code == 200
    assert await snoozes.end_due(app.state.db, end + 1) == 0
    assert await _hidden(client, platform) == {"m": False, "c1": False, "l2": True, "l1": False}
    assert (await _stored(app, "l2")).hidden_until is None


async def test_the_default_scope_is_the_item_and_repeating_a_hide_tells_nothing(
    client: httpx.AsyncClient,
) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url, items=0)
        for content_id in ("a", "b"):
            item = make_item(content_id=content_id, series_id="one")
            r = await client.put(
                f"/v1/contexts/upnext/{scene.context_id}", json=item, auth=scene.app.auth
            )
            assert r.status_code == 200
        url = f"/v1/sessions/upnext/{scene.session_id}/{scene.context_id}"
        for body in (
            {"content_id": "a", "action": "hide", "scope": "item"},
            {"content_id": "a", "action": "hide"},
            {"content_id": "b", "action": "hide", "scope": "series"},
            {"content_id": "b", "action": "hide", "scope": "series"},
        ):
            r = await client.put(url, json=body, auth=scene.platform.auth)
            assert r.status_code == 200, r.text
        events = _events(await receiver.wait_for(2))
    assert [e["data"]["content_id"] for e in events] == ["a", "b"]
    assert "scope" not in events[0]["data"]
    assert events[1]["data"]["scope"] == "series"
    deliveries = (await scene.deliveries())["items"]
    assert len(deliveries) == 2  # the repeated hides queued nothing
