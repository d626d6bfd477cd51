"""Idempotency-Key: replay, mismatch, expiry and two requests with one key at once."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from tests.factories import World, make_item
from upnext.idempotency import repository, service
from upnext.kit import idempotency
from upnext.kit.idempotency import Replay
from upnext.kit.timestamps import now_us


async def count_items(client: httpx.AsyncClient, auth: tuple[str, str]) -> int:
    r = await client.get("/v1/contexts/upnext/c", auth=auth)
    return int(r.json()["total"])


async def test_a_retry_replays_the_first_answer_without_running_twice(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    r = await client.post("/v1/contexts/upnext", auth=app.auth, headers={"Idempotency-Key": "k1"})
    assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    again = await client.post(
        "/v1/contexts/upnext", auth=app.auth, headers={"Idempotency-Key": "k1"}
    )
    assert again.status_code == 201
    assert again.json() == r.json()  # the same minted context, not a second one
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_a_replayed_delete_answers_204_again(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="x")
    for _ in range(2):
        r = await client.delete(
            "/v1/contexts/upnext/c/x", auth=app.auth, headers={"Idempotency-Key": "del-x"}
        )
        assert r.status_code == 204
    assert r.headers["Idempotent-Replayed"] == "true"


async def test_the_same_key_with_another_body_is_422(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    headers = {"Idempotency-Key": "k2"}
    first = make_item(content_id="a")
    r = await client.put("/v1/contexts/upnext/c", json=first, auth=app.auth, headers=headers)
    assert r.status_code == 200
    other = make_item(content_id="b")
    r = await client.put("/v1/contexts/upnext/c", json=other, auth=app.auth, headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_reused"
    assert await count_items(client, app.auth) == 1


async def test_keys_are_scoped_per_api_key(client: httpx.AsyncClient, world: World) -> None:
    one, two = await world.app("One"), await world.app("Two")
    headers = {"Idempotency-Key": "shared"}
    r1 = await client.post("/v1/contexts/upnext", auth=one.auth, headers=headers)
    r2 = await client.post("/v1/contexts/upnext", auth=two.auth, headers=headers)
    assert r1.json()["app_id"] == one.id and r2.json()["app_id"] == two.id
    assert "Idempotent-Replayed" not in r2.headers


async def test_a_failed_validation_does_not_use_up_the_key(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    headers = {"Idempotency-Key": "k3"}
    bad = make_item(content_id="a", duration=0)
    r = await client.put("/v1/contexts/upnext/c", json=bad, auth=app.auth, headers=headers)
    assert r.status_code == 422
    good = make_item(content_id="a")
    r = await client.put("/v1/contexts/upnext/c", json=good, auth=app.auth, headers=headers)
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers


async def test_wrong_credentials_never_see_a_stored_answer(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    headers = {"Idempotency-Key": "k4"}
    await client.post("/v1/contexts/upnext", auth=app.auth, headers=headers)
    r = await client.post("/v1/contexts/upnext", auth=(app.key_id, "wrong"), headers=headers)
    assert r.status_code == 401


async def test_an_invalid_key_is_400(client: httpx.AsyncClient, world: World) -> None:
    app = await world.app()
    for key in ("", "x" * 256, "has space"):
        r = await client.post(
            "/v1/contexts/upnext", auth=app.auth, headers={"Idempotency-Key": key}
        )
        assert r.status_code == 400, key
        assert r.json()["code"] == "invalid_idempotency_key"


async def test_a_key_expires_after_24_hours(app: FastAPI, world: World) -> None:
    publisher = await world.app()
    store = service.DatabaseStore(app)
    now = now_us()
    assert await store.claim(publisher.key_id, "k5", "hash-a", now) == "claimed"
    await store.save(publisher.key_id, "k5", 200, b'{"message":"Success"}')
    later = now + service.RETENTION_US - 1
    assert await store.claim(publisher.key_id, "k5", "hash-a", later) == Replay(
        200, b'{"message":"Success"}'
    )
    assert await store.claim(publisher.key_id, "k5", "hash-b", later) == "mismatch"
    expired = now + service.RETENTION_US
    assert await store.claim(publisher.key_id, "k5", "hash-b", expired) == "claimed"
    # ...and the purge job forgets keys past 24 hours.
    assert await service.purge(app.state.db, expired + service.RETENTION_US + 1) == 1
    async with app.state.db.read() as conn:
        assert await repository.get(conn, publisher.key_id, "k5") is None


async def test_a_request_in_flight_makes_the_second_409(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    publisher = await world.app()
    item = make_item(content_id="a")
    headers = {"Idempotency-Key": "k6"}
    request = client.build_request("PUT", "/v1/contexts/upnext/c", json=item, headers=headers)
    # Another process has claimed the key and has not answered yet.
    fingerprint = idempotency.fingerprint(
        {"method": "PUT", "path": "/v1/contexts/upnext/c", "query_string": b""}, request.content
    )
    store = service.DatabaseStore(app)
    assert await store.claim(publisher.key_id, "k6", fingerprint) == "claimed"
    r = await client.send(request, auth=publisher.auth)
    assert r.status_code == 409
    assert r.json()["code"] == "idempotency_in_flight" and r.headers["Retry-After"] == "1"
    # A claim whose process died is taken over after a minute rather than blocking a day.
    stale = now_us() + service.ABANDONED_US + 1
    assert await store.claim(publisher.key_id, "k6", fingerprint, stale) == "claimed"


async def test_two_concurrent_requests_with_one_key_run_once(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    headers = {"Idempotency-Key": "k7"}
    answers = await asyncio.gather(
        *(client.post("/v1/contexts/upnext", auth=app.auth, headers=headers) for _ in range(2))
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses in ([201, 201], [201, 409])
    minted = {r.json()["context_id"] for r in answers if r.status_code == 201}
    assert len(minted) == 1  # never two contexts for one key
