"""A reference client sees no difference; every extension is in the OpenAPI schema."""

from __future__ import annotations

import httpx

from tests.factories import World, make_item

REFERENCE_KEYS = [
    "content_id",
    "app_id",
    "context_id",
    "updated_at",
    "action",
    "media_type",
    "title",
    "description",
    "season",
    "episode",
    "poster_art_uri",
    "poster_art_aspect_ratio",
    "position",
    "duration",
    "hidden",
]


async def test_items_without_extensions_render_as_the_reference(
    client: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    r = await client.put("/v1/contexts/upnext/c", json=make_item(), auth=app.auth)
    assert r.json() == {"message": "Success"}
    await world.attach(platform, "s", app, "c")
    [own] = (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()["items"]
    assert list(own) == REFERENCE_KEYS
    [seen] = (await client.get("/v1/sessions/upnext/s", auth=platform.auth)).json()["items"]
    assert list(seen) == [*REFERENCE_KEYS, "platform_data", "app_media"]


async def test_extension_fields_appear_only_when_written(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    item = make_item(
        event_time="2026-01-01T10:00:00.5+01:00",
        expires_at="2099-01-01T00:00:00Z",
        series_id="colt",
    )
    await client.put("/v1/contexts/upnext/c", json=item, auth=app.auth)
    [got] = (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()["items"]
    assert list(got) == [*REFERENCE_KEYS, "event_time", "expires_at", "series_id"]
    assert got["event_time"] == "2026-01-01T09:00:00.500Z"
    assert got["expires_at"] == "2099-01-01T00:00:00.000Z"
    assert got["series_id"] == "colt"


async def test_the_openapi_schema_documents_every_extension(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    paths = schema["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path.startswith("/v1/") and method in ("post", "put", "patch", "delete"):
                names = [p["name"] for p in operation.get("parameters", [])]
                # Except minting a handoff: its token is never stored (docs/handoffs.md).
                expected = not path.endswith("/handoffs")
                assert ("Idempotency-Key" in names) is expected, (method, path)
    replace = paths["/v1/contexts/upnext/{context_id}/items"]["put"]
    batch = paths["/v1/contexts/upnext/{context_id}/items:batch"]["post"]
    assert replace["requestBody"] and batch["requestBody"]
    session = paths["/v1/sessions/upnext/{session_id}"]["get"]
    names = {p["name"]: p for p in session["parameters"]}
    assert {"per_series", "per_app_limit", "if-none-match"} <= set(names)
    assert "304" in session["responses"]
    for path, operations in paths.items():
        if path.startswith("/v1/") and "get" in operations:
            names = [p["name"].lower() for p in operations["get"].get("parameters", [])]
            assert "if-none-match" in names and "304" in operations["get"]["responses"], path
    item = schema["components"]["schemas"]["ItemIn"]["properties"]
    for field in ("event_time", "expires_at", "series_id"):
        assert item[field].get("examples"), field
