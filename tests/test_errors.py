"""Framework errors as the document states them: a 405 names every method of its path."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import ADMIN


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        # Two routes share each path: Starlette's own 405 named only the first one's.
        ("OPTIONS", "/v1/apps/AP1", "GET, PATCH"),
        ("POST", "/v1/sessions/upnext/s1", "DELETE, GET, PUT"),
        ("PATCH", "/v1/contexts/upnext/c1", "DELETE, GET, PUT"),
        ("GET", "/v1/apps/AP1/media/icon@1x.png", "DELETE, PUT"),
        # A literal segment wins over a template, as in OpenAPI's path matching:
        # /{context_id}/items is not /{context_id}/{content_id}.
        ("OPTIONS", "/v1/contexts/upnext/c1/items", "PUT"),
        ("OPTIONS", "/v1/contexts/upnext/c1/items:batch", "POST"),
        ("OPTIONS", "/v1/sessions/upnext/s1/contexts", "GET"),
    ],
)
async def test_405_allows_every_documented_method(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    r = await client.request(method, path, auth=ADMIN)
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "method_not_allowed"


async def test_405_comes_before_an_idempotency_key(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "key-405"}
    r = await client.post("/v1/admin/platforms", json={"name": "TV"}, headers=headers, auth=ADMIN)
    assert r.status_code == 201
    # The same key on a method the path does not serve: 405, not 422 key reused.
    r = await client.put("/v1/admin/platforms", json={"name": "TV"}, headers=headers, auth=ADMIN)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    r = await client.post("/v1/admin/platforms", json={"name": "TV"}, headers=headers, auth=ADMIN)
    assert r.status_code == 201
    assert r.headers["idempotent-replayed"] == "true"
