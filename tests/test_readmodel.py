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
from upnext.kit.timestamps import iso, now_us

LIMIT = 200
PLATFORM_DATA = {"platform_app_id": "internal-42", "rank": 3, "featured": True, "w": 1.5}


def reference_item(row: Any, platform_id: str | None = None) -> dict[str, Any]:
    """The List Item Object as the lists rendered it from the columns on every read: for
    the session lists of ``platform_id``, or (None) for the publisher's own list."""
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
    snooze_over = row.hidden_until is not None and row.hidden_until <= now_us()
    body["hidden"] = bool(row.hidden) and not snooze_over
    for name in ("event_time", "expires_at"):
        if getattr(row, name) is not None:
            body[name] = iso(getattr(row, name))
    for name in ("series_id", "series_title", "content_rating", "maturity_age"):
        if getattr(row, name) is not None:
            body[name] = getattr(row, name)
    if row.available_from is not None:
        body["available_from"] = iso(row.available_from)
    overrides = orjson.loads(row.playback_uris) if row.playback_uris is not None else None
    if platform_id is None:
        if row.playback_uri is not None:
            body["playback_uri"] = row.playback_uri
        if overrides is not None:
            body["playback_uris"] = overrides
    elif (link := (overrides or {}).get(platform_id, row.playback_uri)) is not None:
        body["playback_uri"] = link
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


async def expected_lists(
    app: FastAPI, media: dict[str, str], platform_id: str
) -> tuple[bytes, bytes]:
    """The session list and the publisher's list of context ``c``, as the oracle renders."""
    async with app.state.db.read() as conn:
        rows = list(
            await conn.execute(
                select(items).order_by(items.c.updated_at.desc(), items.c.content_id.desc())
            )
        )
    plain = [reference_item(row) for row in rows[:LIMIT]]
    extras = {"platform_data": PLATFORM_DATA, "app_media": media}
    session = [{**reference_item(row, platform_id), **extras} for row in rows[:LIMIT]]
    more = {"next_key": LIMIT} if len(rows) > LIMIT else {}
    return (
        orjson.dumps({"total": len(rows), **more, "items": session}),
        orjson.dumps({"total": len(rows), **more, "items": plain}),
    )


async def assert_lists_match(
    app: FastAPI, client: httpx.AsyncClient, platform: Any, publisher: Any
) -> None:
    media = {"icon_1x": f"http://testserver/media/{publisher.id}/icon@1x.png"}
    session, own = await expected_lists(app, media, platform.id)
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


def tv_variants(platform_id: str, other_id: str) -> list[dict[str, Any]]:
    """One item for every combination of the fields a TV draws and starts with."""
    found = []
    toggles = itertools.product((False, True), repeat=6)
    for n, (kind, (series_title, rating, window, link, links, hidden)) in enumerate(
        itertools.product(("movie", "tv_episode"), list(toggles))
    ):
        episode = kind == "tv_episode"
        overrides = {other_id: f"https://other.example.com/play/{n}"}
        if n % 3 == 0:
            overrides[platform_id] = f'flix://play/{n}?q="x"&\u00e9\u6f22'
        found.append(
            make_item(
                content_id=f"t{n:03d}",
                media_type=kind,
                action="up_next_next",
                season=1 if episode else None,
                episode=n if episode else None,
                position=None,
                series_id=f"show-{n % 4}" if episode else None,
                series_title=f'The "Show" {n} \u00e9' if series_title and episode else None,
                content_rating="TV-14" if rating else None,
                maturity_age=n % 22 if rating else None,
                available_from="2024-06-01T00:00:00.123Z" if window else None,
                expires_at="2099-06-30T00:00:00Z" if window and n % 2 else None,
                playback_uri=f"flix://play/{n}" if link else None,
                playback_uris=overrides if links else None,
                hidden=hidden,
            )
        )
    return found


async def test_the_tv_fields_list_as_the_oracle_renders_after_every_write_path(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    platform, publisher = await _world(client, world)
    other = await world.platform("Other TV")
    written = tv_variants(platform.id, other.id)
    r = await client.put(
        "/v1/contexts/upnext/c/items", json={"items": written}, auth=publisher.auth
    )
    assert r.status_code == 200, r.text
    await assert_lists_match(app, client, platform, publisher)  # replace-all

    changed = [{**item, "title": "Changed"} for item in written[:20]]
    r = await client.post(
        "/v1/contexts/upnext/c/items:batch",
        json={"upsert": changed, "delete": ["t030"]},
        auth=publisher.auth,
    )
    assert r.status_code == 200, r.text
    await assert_lists_match(app, client, platform, publisher)  # batch

    for item in written[40:60]:  # PUT without `hidden`: kept as stored, links replaced
        put = {k: v for k, v in item.items() if k not in ("hidden", "playback_uris")}
        r = await client.put("/v1/contexts/upnext/c", json=put, auth=publisher.auth)
        assert r.status_code == 200, r.text
    await assert_lists_match(app, client, platform, publisher)

    until = iso(now_us() + 3_600_000_000)
    for body in (
        {"content_id": "t065", "action": "hide", "scope": "series"},
        {"content_id": "t066", "action": "hide", "until": until},
        {"content_id": "t067", "action": "hide", "scope": "series", "until": until},
        {"content_id": "t069", "action": "unhide"},
    ):
        r = await client.put("/v1/sessions/upnext/s/c", json=body, auth=platform.auth)
        assert r.status_code == 200, r.text
    await world.put_item(publisher, "c", content_id="new-ep", series_id="show-1")  # hidden
    await assert_lists_match(app, client, platform, publisher)  # series hides and snoozes
