"""Out-of-order protection: ``event_time`` keeps the newest write, however writes arrive."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import httpx

from tests.factories import World, make_item

BASE = datetime(2026, 1, 10, 20, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    return (BASE + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


async def stored(client: httpx.AsyncClient, auth: tuple[str, str], context_id: str) -> dict:
    r = await client.get(f"/v1/contexts/upnext/{context_id}", auth=auth)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    return item


async def test_a_stale_write_after_a_fresh_one_is_ignored(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    fresh = make_item(content_id="ep", position=900, event_time=at(60))
    r = await client.put("/v1/contexts/upnext/c", json=fresh, auth=app.auth)
    assert r.json() == {"message": "Success"}

    late = {**fresh, "position": 100, "event_time": at(0)}
    r = await client.put("/v1/contexts/upnext/c", json=late, auth=app.auth)
    assert r.status_code == 200
    assert r.json() == {"message": "Success", "ignored": "stale"}

    item = await stored(client, app.auth, "c")
    assert item["position"] == 900
    assert item["event_time"] == "2026-01-10T20:01:00.000Z"


async def test_an_equal_or_newer_event_time_and_an_untimed_write_apply(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    base = make_item(content_id="ep", position=10, event_time=at(60))
    await client.put("/v1/contexts/upnext/c", json=base, auth=app.auth)
    same = {**base, "position": 20}
    assert (await client.put("/v1/contexts/upnext/c", json=same, auth=app.auth)).json() == {
        "message": "Success"
    }
    untimed = {k: v for k, v in base.items() if k != "event_time"} | {"position": 30}
    assert (await client.put("/v1/contexts/upnext/c", json=untimed, auth=app.auth)).json() == {
        "message": "Success"
    }
    item = await stored(client, app.auth, "c")
    # An untimed write applies but keeps the stored event_time, so a late timed write
    # from a device is still recognised as stale.
    assert item["position"] == 30 and item["event_time"] == "2026-01-10T20:01:00.000Z"
    late = {**base, "position": 5, "event_time": at(1)}
    r = await client.put("/v1/contexts/upnext/c", json=late, auth=app.auth)
    assert r.json()["ignored"] == "stale"


async def test_event_time_must_be_an_iso_moment_not_far_ahead(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    for bad in ("yesterday", "2026-13-01T00:00:00Z", future, 1700000000):
        r = await client.put("/v1/contexts/upnext/c", json=make_item(event_time=bad), auth=app.auth)
        assert r.status_code == 422, bad
        assert [e["field"] for e in r.json()["errors"]] == ["event_time"]


async def test_fifty_concurrent_writers_leave_exactly_the_newest(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="warmup")
    offsets = random.sample(range(10_000), 50)

    async def write(offset: int) -> httpx.Response:
        item = make_item(content_id="ep", position=offset, duration=20_000, event_time=at(offset))
        return await client.put("/v1/contexts/upnext/c", json=item, auth=app.auth)

    answers = await asyncio.gather(*(write(offset) for offset in offsets))
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    r = await client.get("/v1/contexts/upnext/c", auth=app.auth)
    [item] = [i for i in r.json()["items"] if i["content_id"] == "ep"]
    assert item["position"] == max(offsets)
    assert item["event_time"][:19] == at(max(offsets))[:19]
    stale = [r for r in answers if r.json().get("ignored") == "stale"]
    assert len(stale) < 50
