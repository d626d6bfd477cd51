"""DELETE /v1/contexts/upnext/{context_id}: a context erased entirely, nothing left behind."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tests.factories import World
from upnext.db.tables import contexts, items, session_contexts, webhook_deliveries
from upnext.webhooks.service import queue_event


async def _rows(app: FastAPI, context_id: str) -> dict[str, int]:
    counts = {}
    async with app.state.db.read() as conn:
        for table in (contexts, items, session_contexts, webhook_deliveries):
            query = select(func.count()).select_from(table)
            counts[table.name] = await conn.scalar(query.where(table.c.context_id == context_id))
    return counts


async def test_erasing_a_context_removes_items_attachments_and_events(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    publisher = await world.app(platforms=(platform,))
    for n in range(3):
        await world.put_item(publisher, "leaving", content_id=f"c{n}")
    await world.put_item(publisher, "staying", content_id="keep")
    await world.attach(platform, "tv-1", publisher, "leaving")
    async with app.state.db.write() as conn:
        await queue_event(conn, publisher.id, "item_hidden", {}, context_id="leaving")
    assert all((await _rows(app, "leaving")).values())

    r = await client.delete("/v1/contexts/upnext/leaving", auth=publisher.auth)
    assert r.status_code == 204
    assert set((await _rows(app, "leaving")).values()) == {0}
    assert (await client.get("/v1/contexts/upnext/leaving", auth=publisher.auth)).status_code == 404
    r = await client.get("/v1/sessions/upnext/tv-1/contexts", auth=platform.auth)
    assert r.json()["total"] == 0
    r = await client.get("/v1/contexts/upnext/staying", auth=publisher.auth)
    assert r.json()["total"] == 1
    # Erasing again: the context no longer exists.
    assert (
        await client.delete("/v1/contexts/upnext/leaving", auth=publisher.auth)
    ).status_code == 404


async def test_only_the_owning_publisher_may_erase(client: httpx.AsyncClient, world: World) -> None:
    owner, other = await world.app("Owner"), await world.app("Other")
    platform = await world.platform()
    await world.put_item(owner, "mine")
    assert (await client.delete("/v1/contexts/upnext/mine", auth=other.auth)).status_code == 403
    assert (await client.delete("/v1/contexts/upnext/mine", auth=platform.auth)).status_code == 403
    assert (await client.delete("/v1/contexts/upnext/mine")).status_code == 401
    assert (await client.get("/v1/contexts/upnext/mine", auth=owner.auth)).json()["total"] == 1
