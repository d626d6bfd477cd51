"""The lean item PUT answers exactly what its documented route answers, and writes the same.

Each request goes to the documented route alone first and then to the app as served (the
same database), so a write that applies answers alike both times; status, body and
headers must agree, except the request id and the quota left.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import select
from starlette.types import Receive, Scope, Send

from tests.documented import same_answer
from tests.factories import ADMIN, World, make_item
from upnext.app import LeanPaths
from upnext.db.tables import items
from upnext.edge import Edge

JSON = "application/json"


def _basic(key: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{key[0]}:{key[1]}".encode()).decode()


async def test_every_put_answers_as_on_the_documented_route(
    client: httpx.AsyncClient, documented: httpx.AsyncClient, world: World
) -> None:
    platform = await world.platform()
    flix, other = await world.app("Flix", platforms=(platform,)), await world.app("Other")
    await world.put_item(other, "theirs", content_id="x")
    item = make_item(content_id="ep1")
    good = orjson.dumps(item)
    bodies: dict[str, bytes] = {
        "good": good,
        "timed": orjson.dumps({**item, "event_time": "2024-05-01T20:15:03.120Z"}),
        "stale": orjson.dumps({**item, "event_time": "2024-05-01T20:15:02.000Z"}),
        "invalid": orjson.dumps({**item, "duration": -1}),
        "unknown field": orjson.dumps({**item, "rating": 5}),
        "string number": good.replace(b'"duration":1308', b'"duration":"1308"'),
        "float integral": good.replace(b'"duration":1308', b'"duration":1308.0'),
        "NaN": good.replace(b'"duration":1308', b'"duration":NaN'),
        "huge": good.replace(b'"duration":1308', b'"duration":1' + b"0" * 30),
        "duplicate key": good[:-1] + b',"title":"Again"}',
        "not json": b"{nope",
        "empty": b"",
        "array": b"[]",
        "latin-1": good.replace(b"Episode", "Épisode".encode("latin-1")),
        "surrogate": good.replace(b"Episode", b"\\ud800pisode"),
    }
    keys = {
        "publisher": _basic(flix.auth),
        "platform": _basic(platform.auth),
        "operator": _basic(ADMIN),
        "wrong secret": _basic((flix.key_id, "nope")),
        "not base64": "Basic !!!",
    }
    for path in (
        "/v1/contexts/upnext/c1",
        "/v1/contexts/upnext/theirs",
        "/v1/contexts/upnext/a%20b",
    ):
        for key, authorization in keys.items():
            for name, body in bodies.items():
                for content_type in (JSON, "application/json; charset=utf-8", "text/plain"):
                    headers = {"authorization": authorization, "content-type": content_type}
                    alone = await documented.put(path, content=body, headers=headers)
                    served = await client.put(path, content=body, headers=headers)
                    same_answer(served, alone)
                    assert served.status_code != 500, (path, key, name)
    for extra in ({}, {"idempotency-key": "k1"}):  # no credentials; an idempotency key
        headers = {"content-type": JSON, **extra}
        alone = await documented.put("/v1/contexts/upnext/c1", content=good, headers=headers)
        served = await client.put("/v1/contexts/upnext/c1", content=good, headers=headers)
        same_answer(served, alone)


async def test_the_lean_put_serves_the_common_write_itself(
    app: FastAPI, client: httpx.AsyncClient, world: World, monkeypatch: Any
) -> None:
    publisher = await world.app()
    edge = app.middleware_stack
    assert isinstance(edge, Edge)
    assert isinstance(edge.lean, LeanPaths)
    lean = edge.lean.put
    handed: list[str] = []
    original = lean.documented

    async def documented(scope: Scope, receive: Receive, send: Send) -> None:
        handed.append(scope["path"])
        await original(scope, receive, send)

    monkeypatch.setattr(lean, "documented", documented)
    item = make_item(content_id="ep1")
    r = await client.put("/v1/contexts/upnext/c", json=item, auth=publisher.auth)
    assert (r.status_code, r.json()) == (200, {"message": "Success"})
    assert handed == []  # served without the framework, and stored:
    async with app.state.db.read() as conn:
        [row] = (await conn.execute(select(items.c.title, items.c.rendered))).all()
    assert row.title == item["title"] and orjson.loads(row.rendered)["title"] == item["title"]

    r = await client.put("/v1/contexts/upnext/c", json={**item, "duration": 0}, auth=publisher.auth)
    assert r.status_code == 422 and handed == ["/v1/contexts/upnext/c"]
