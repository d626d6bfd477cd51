"""Stored renderings: every write path stores the bytes the lists used to render per read.

The oracle below is the rendering the lists did on every read before items were rendered
at write time (a dict per item from its columns, the app's extras added, the List Object
serialised by orjson). Every list must still answer exactly those bytes, for every
combination of optional fields and after every kind of write.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import select

from tests.factories import World, make_item, make_png
from upnext.db.tables import items
from upnext.kit.timestamps import iso

LIMIT = 200
PLATFORM_DATA = {"platform_app_id": "internal-42", "rank": 3, "featured": True, "w": 1.5}


def reference_item(row: Any) -> dict[str, Any]:
    """The List Item Object as the lists rendered it from the columns on every read."""
    body: dict[str, Any] = {
        "content_id": row.content_id,
        "app_id": row.app_id,
        "context_id": row.context_id,
        "updated_at": iso(row.updated_at),
        "action": row.action,
        "media_type": row.media_type,
        "title": row.title,
        "description": row.description,
    }
    if row.media_type == "tv_episode":
        body["season"] = row.season
        body["episode"] = row.episode
    body["poster_art_uri"] = row.poster_art_uri
    body["poster_art_aspect_ratio"] = row.poster_art_aspect_ratio
    if row.preview_video_uri is not None:
        body["preview_video_uri"] = row.preview_video_uri
    if row.action == "up_next_continue":
        body["position"] = row.position
    body["duration"] = row.duration
    body["hidden"] = bool(row.hidden)
    for name in ("event_time", "expires_at"):
        if getattr(row, name) is not None:
            body[name] = iso(getattr(row, name))
    if row.series_id is not None:
        body["series_id"] = row.series_id
    return body


def variants() -> list[dict[str, Any]]:
    """One item for every combination of kind, action and optional field."""
    found = []
    kinds = ("movie", "tv_episode")
    actions = ("up_next_continue", "up_next_next", "up_next_new", "up_next_watchlist")
    toggles = itertools.product((False, True), repeat=5)
    for n, (kind, action, (preview, event, expires, series, hidden)) in enumerate(
        itertools.product(kinds, actions, list(toggles))
    ):
        found.append(
            make_item(
                content_id=f"v{n:03d}",
                media_type=kind,
                action=action,
                title=f'Title "{n}" \u00e9\u6f22 \\ </script>',
                season=2 if kind == "tv_episode" else None,
                episode=n if kind == "tv_episode" else None,
                position=60 if action == "up_next_continue" else None,
                preview_video_uri=f"https://media.example.com/{n}.mp4" if preview else None,
                event_time="2024-05-01T20:15:03.120Z" if event else None,
                expires_at="2099-06-30T00:00:00Z" if expires else None,
                series_id="show-1" if series else None,
                hidden=hidden,
            )
        )
    return found


async def expected_lists(app: FastAPI, media: dict[str, str]) -> tuple[bytes, bytes]:
    """The session list and the publisher's list of context ``c``, as the oracle renders."""
    async with app.state.db.read() as conn:
        rows = list(
            await conn.execute(
                select(items).order_by(items.c.updated_at.desc(), items.c.content_id.desc())
            )
        )
    plain = [reference_item(row) for row in rows[:LIMIT]]
    extras = {"platform_data": PLATFORM_DATA, "app_media": media}
    session = [{**item, **extras} for item in plain]
    more = {"next_key": LIMIT} if len(rows) > LIMIT else {}
    return (
        orjson.dumps({"total": len(rows), **more, "items": session}),
        orjson.dumps({"total": len(rows), **more, "items": plain}),
    )


async def assert_lists_match(
    app: FastAPI, client: httpx.AsyncClient, platform: Any, publisher: Any
) -> None:
    media = {"icon_1x": f"http://testserver/media/{publisher.id}/icon@1x.png"}
    session, own = await expected_lists(app, media)
    for path in ("/v1/sessions/upnext/s?limit=200", "/v1/sessions/upnext/s/c?limit=200"):
        r = await client.get(path, auth=platform.auth)
        assert r.status_code == 200, r.text
        assert r.content == session
    r = await client.get("/v1/contexts/upnext/c?limit=200", auth=publisher.auth)
    assert r.content == own


async def _world(client: httpx.AsyncClient, world: World) -> tuple[Any, Any]:
    platform = await world.platform()
    publisher = await world.app(platforms=(platform,))
    r = await client.put(
        f"/v1/platforms/{platform.id}/apps/{publisher.id}/platform_data",
        json=PLATFORM_DATA,
        auth=platform.auth,
    )
    assert r.status_code == 200, r.text
    r = await client.put(
        f"/v1/apps/{publisher.id}/media/icon@1x.png",
        content=make_png(240, 240),
        headers={"content-type": "image/png"},
        auth=publisher.auth,
    )
    assert r.status_code == 200, r.text
    await world.put_item(publisher, "c", content_id="first")
    await world.attach(platform, "s", publisher, "c")
    return platform, publisher


async def test_every_field_combination_lists_as_before_after_every_write_path(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    platform, publisher = await _world(client, world)
    written = variants()
    r = await client.put(
        "/v1/contexts/upnext/c/items", json={"items": written[:128]}, auth=publisher.auth
    )
    assert r.status_code == 200, r.text
    await assert_lists_match(app, client, platform, publisher)  # replace-all

    r = await client.post(
        "/v1/contexts/upnext/c/items:batch",
        json={"upsert": written[128:], "delete": ["v000", "v001"]},
        auth=publisher.auth,
    )
    assert r.status_code == 200, r.text
    await assert_lists_match(app, client, platform, publisher)  # batch

    for item in written[:40]:  # PUT without `hidden` and `event_time`: both kept as stored
        put = {k: v for k, v in item.items() if k not in ("hidden", "event_time")}
        r = await client.put("/v1/contexts/upnext/c", json=put, auth=publisher.auth)
        assert r.status_code == 200, r.text
    await assert_lists_match(app, client, platform, publisher)

    for content_id, action in (("v010", "hide"), ("v011", "unhide"), ("v012", "hide")):
        r = await client.put(
            "/v1/sessions/upnext/s/c",
            json={"content_id": content_id, "action": action},
            auth=platform.auth,
        )
        assert r.status_code == 200, r.text
    await assert_lists_match(app, client, platform, publisher)  # hide and unhide

    progress = make_item(content_id="v020", position=30, duration=3000)
    r = await client.post("/v1/contexts/upnext/c/progress", json=progress, auth=publisher.auth)
    assert r.status_code == 200, r.text
    await assert_lists_match(app, client, platform, publisher)  # progress


async def test_a_kept_hidden_flag_is_rendered_hidden(
    client: httpx.AsyncClient, world: World
) -> None:
    platform, publisher = await _world(client, world)
    r = await client.put(
        "/v1/sessions/upnext/s/c",
        json={"content_id": "first", "action": "hide"},
        auth=platform.auth,
    )
    assert r.status_code == 200
    await world.put_item(publisher, "c", content_id="first", title="Renamed")  # no `hidden`
    [item] = (await client.get("/v1/sessions/upnext/s", auth=platform.auth)).json()["items"]
    assert (item["title"], item["hidden"]) == ("Renamed", True)
