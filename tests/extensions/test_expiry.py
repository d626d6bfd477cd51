"""Expiry (``expires_at``) and retention (``UPNEXT_ITEM_TTL_DAYS``), with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from tests.factories import World, make_item
from upnext.db.tables import items
from upnext.kit.pagination import Page
from upnext.kit.timestamps import now_us
from upnext.readmodel import ListView, list_items
from upnext.retention import purge_once
from upnext.settings import Settings

DAY = 86_400_000_000
PAGE = Page(limit=50, offset=0)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"item_ttl_days": 60})


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def visible(app: FastAPI, now: int, max_age: int | None = 60 * DAY) -> list[str]:
    async with app.state.db.read() as conn:
        rows, total = await list_items(conn, ["c"], PAGE, ListView(now, max_age))
    assert total == len(rows)
    return sorted(row[2] for row in rows)  # (updated_at, context_id, content_id, ...)


async def test_an_item_disappears_at_its_expires_at(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    publisher = await world.app()
    await world.put_item(publisher, "c", content_id="leaving", expires_at=in_days(3))
    await world.put_item(publisher, "c", content_id="staying")
    now = now_us()
    assert await visible(app, now) == ["leaving", "staying"]
    assert await visible(app, now + 3 * DAY + 60_000_000) == ["staying"]

    r = await client.get("/v1/contexts/upnext/c", auth=publisher.auth)
    [leaving] = [i for i in r.json()["items"] if i["content_id"] == "leaving"]
    assert leaving["expires_at"].endswith("Z")


async def test_an_item_written_already_expired_never_shows(
    client: httpx.AsyncClient, world: World
) -> None:
    publisher = await world.app()
    await world.put_item(publisher, "c", content_id="gone", expires_at=in_days(-1))
    r = await client.get("/v1/contexts/upnext/c", auth=publisher.auth)
    assert r.json() == {"total": 0, "items": []}


async def test_untouched_items_fall_out_after_the_retention(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    publisher, platform = await world.app(), await world.platform()
    await world.enable(publisher, platform)
    await world.put_item(publisher, "c", content_id="old")
    await world.put_item(publisher, "c", content_id="fresh")
    await world.attach(platform, "s", publisher, "c")
    async with app.state.db.write() as conn:
        await conn.execute(
            update(items).where(items.c.content_id == "old").values(updated_at=now_us() - 61 * DAY)
        )
    for path, auth in (
        ("/v1/contexts/upnext/c", publisher.auth),
        ("/v1/sessions/upnext/s", platform.auth),
    ):
        body = (await client.get(path, auth=auth)).json()
        assert body["total"] == 1 and [i["content_id"] for i in body["items"]] == ["fresh"]
    # Touching the item again brings it back.
    await world.put_item(publisher, "c", content_id="old")
    assert (await client.get("/v1/contexts/upnext/c", auth=publisher.auth)).json()["total"] == 2


async def test_retention_follows_the_injected_clock(app: FastAPI, world: World) -> None:
    publisher = await world.app()
    await world.put_item(publisher, "c", content_id="x")
    now = now_us()
    assert await visible(app, now + 59 * DAY) == ["x"]
    assert await visible(app, now + 61 * DAY) == []
    assert await visible(app, now + 61 * DAY, max_age=None) == ["x"]


async def test_the_purge_job_removes_only_expired_rows(
    app: FastAPI, settings: Settings, world: World
) -> None:
    publisher = await world.app()
    await world.put_item(publisher, "c", content_id="expires-soon", expires_at=in_days(1))
    await world.put_item(publisher, "c", content_id="expires-later", expires_at=in_days(10))
    await world.put_item(publisher, "c", content_id="untouched")
    await world.put_item(publisher, "other", content_id="recent")
    async with app.state.db.write() as conn:
        await conn.execute(
            update(items)
            .where(items.c.content_id == "untouched")
            .values(updated_at=now_us() - 59 * DAY)
        )
    now = now_us() + 2 * DAY  # "untouched" is now 61 days old, "expires-soon" past
    assert await purge_once(app.state.db, settings, now) == 2
    async with app.state.db.read() as conn:
        left = sorted((await conn.execute(select(items.c.content_id))).scalars())
    assert left == ["expires-later", "recent"]
    assert await purge_once(app.state.db, settings, now) == 0


async def test_expires_at_is_validated(client: httpx.AsyncClient, world: World) -> None:
    publisher = await world.app()
    for bad in ("soon", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59", 1700000000):
        item = make_item(expires_at=bad)
        r = await client.put("/v1/contexts/upnext/c", json=item, auth=publisher.auth)
        assert r.status_code == 422, bad
        assert [e["field"] for e in r.json()["errors"]] == ["expires_at"]
