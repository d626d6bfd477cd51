"""The per-context item cap: 1,000 items, then 422 context_full; replacing still works."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import World, make_item
from upnext.contexts.schemas import render_item
from upnext.contexts.service import MAX_ITEMS
from upnext.db.tables import items


async def test_a_full_context_refuses_new_items_but_takes_updates(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    publisher = await world.app()
    await world.put_item(publisher, "full", content_id="first")
    rows = [
        {
            "context_id": "full",
            "content_id": f"bulk-{n}",
            "app_id": publisher.id,
            "updated_at": 1_700_000_000_000_000 + n,
            "action": "up_next_next",
            "media_type": "movie",
            "title": f"Movie {n}",
            "description": "",
            "poster_art_uri": "https://media.example.com/p.png",
            "poster_art_aspect_ratio": "aspect_ratio_16_9",
            "duration": 100,
            "hidden": False,
        }
        for n in range(MAX_ITEMS - 1)
    ]
    async with app.state.db.write() as conn:  # setup: a context at the cap, in one statement
        await conn.execute(items.insert(), [{**row, "rendered": render_item(row)} for row in rows])

    r = await client.put(
        "/v1/contexts/upnext/full", json=make_item(content_id="one-too-many"), auth=publisher.auth
    )
    assert r.status_code == 422
    assert r.json()["code"] == "context_full"
    assert r.json()["errors"][0]["field"] == "content_id"
    listed = await client.get("/v1/contexts/upnext/full?limit=1", auth=publisher.auth)
    assert listed.json()["total"] == MAX_ITEMS

    r = await client.put(
        "/v1/contexts/upnext/full", json=make_item(content_id="first"), auth=publisher.auth
    )
    assert r.status_code == 200
    r = await client.delete("/v1/contexts/upnext/full/bulk-0", auth=publisher.auth)
    assert r.status_code == 204
    r = await client.put(
        "/v1/contexts/upnext/full", json=make_item(content_id="room-again"), auth=publisher.auth
    )
    assert r.status_code == 200
