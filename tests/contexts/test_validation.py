"""Every bad item write is a 4xx problem naming its fields, and stores nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import Tenant, World, make_item

REQUIRED = [
    "content_id",
    "media_type",
    "action",
    "title",
    "description",
    "poster_art_uri",
    "poster_art_aspect_ratio",
    "duration",
]


async def _rejected(
    client: httpx.AsyncClient, app: Tenant, body: Any, status: int = 422, **kwargs: Any
) -> dict[str, Any]:
    r = await client.put("/v1/contexts/upnext/c", json=body, auth=app.auth, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == status
    for key in ("title", "detail", "code"):
        assert problem[key]
    # nothing was stored: the context was not even created
    assert (await client.get("/v1/contexts/upnext/c", auth=app.auth)).status_code == 404
    return problem


def _fields(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem["errors"]}


@pytest.mark.parametrize("field", REQUIRED)
async def test_each_required_field(client: httpx.AsyncClient, world: World, field: str) -> None:
    app = await world.app()
    item = make_item()
    del item[field]
    problem = await _rejected(client, app, item)
    assert field in _fields(problem)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("media_type", "podcast"),
        ("action", "up_next_later"),
        ("poster_art_aspect_ratio", "aspect_ratio_21_9"),
        ("poster_art_uri", "ftp://example.com/x.png"),
        ("poster_art_uri", "/relative/path.png"),
        ("poster_art_uri", "https://" + "a" * 2048 + ".com"),
        ("preview_video_uri", "javascript:alert(1)"),
        ("title", ""),
        ("title", "t" * 513),
        ("title", "nul\x00byte"),
        ("description", "d" * 4097),
        ("duration", 0),
        ("duration", -5),
        ("duration", 12.5),
        ("duration", "1308"),
        ("duration", 2**31),
        ("position", -1),
        ("position", 1309),
        ("season", -1),
        ("episode", "3"),
        ("hidden", "yes"),
        ("hidden", 1),
        ("content_id", "has space"),
        ("content_id", "x" * 129),
        ("content_id", "sessions"),
        ("content_id", ""),
        ("unknown_field", 1),
    ],
)
async def test_wrong_values(
    client: httpx.AsyncClient, world: World, field: str, value: object
) -> None:
    app = await world.app()
    problem = await _rejected(client, app, make_item(**{field: value}))
    assert field in _fields(problem)


async def test_episode_needs_season_and_episode(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    item = make_item(media_type="tv_episode")
    del item["season"], item["episode"]
    problem = await _rejected(client, app, item)
    assert _fields(problem) == {"season", "episode"}


async def test_continue_needs_position(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    item = make_item(action="up_next_continue")
    del item["position"]
    problem = await _rejected(client, app, item)
    assert _fields(problem) == {"position"}


async def test_every_offending_field_is_named(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    item = make_item(media_type="nope", title="", position=99999)
    del item["description"]
    problem = await _rejected(client, app, item)
    assert {"media_type", "title", "position", "description"} <= _fields(problem)


async def test_malformed_json_is_400(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    problem = await _rejected(
        client, app, None, 400, content=b'{"title": ', headers={"content-type": "application/json"}
    )
    assert problem["code"] == "malformed_json"


async def test_invalid_utf8_is_400(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    await _rejected(
        client,
        app,
        None,
        400,
        content=b'{"title": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )


@pytest.mark.parametrize("body", [[], "string", 42, None])
async def test_body_must_be_an_object(
    client: httpx.AsyncClient, world: World, body: object
) -> None:
    app = await world.app()
    await _rejected(client, app, body)


async def test_oversized_body_is_413(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    item = make_item(description="x" * 70_000)
    problem = await _rejected(client, app, item, 413)
    assert problem["code"] == "payload_too_large"


@pytest.mark.parametrize("context_id", ["has%20space", "a" * 129, "contexts", "caf%C3%A9"])
async def test_invalid_context_id_is_400(
    client: httpx.AsyncClient, world: World, context_id: str
) -> None:
    app = await world.app()
    r = await client.put(f"/v1/contexts/upnext/{context_id}", json=make_item(), auth=app.auth)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid_parameter"
    assert r.json()["errors"][0]["field"] == "context_id"


async def test_every_allowed_id_character_works(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    context_id = "Az09._~:@-"
    r = await client.put(
        f"/v1/contexts/upnext/{context_id}", json=make_item(content_id="z.Z_~:@-9"), auth=app.auth
    )
    assert r.status_code == 200, r.text
    r = await client.delete(f"/v1/contexts/upnext/{context_id}/z.Z_~:@-9", auth=app.auth)
    assert r.status_code == 204
