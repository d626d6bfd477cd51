"""The lean session reads answer exactly what their documented routes answer.

Each request below goes once to the app as served, where the lean route takes what it can,
and once to the documented FastAPI route alone (the same app with the lean routes taken
out). Status, body and headers must agree, byte for byte, except the request id.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import Receive, Scope, Send

from tests.documented import same_answer
from tests.factories import ADMIN, Tenant, World
from upnext.app import LeanPaths
from upnext.edge import Edge
from upnext.sessions import endpoints

SNAPSHOT = Path(__file__).with_name("session_reads.openapi.json")
PATHS = (
    "/v1/sessions/upnext/{session_id}",
    "/v1/sessions/upnext/{session_id}/{context_id}",
    "/v1/sessions/upnext/{session_id}/contexts",
)


def test_the_openapi_operations_are_those_published_before_the_lean_routes(app: FastAPI) -> None:
    published = json.loads(SNAPSHOT.read_text())
    paths = app.openapi()["paths"]
    for path in PATHS:
        # Byte for byte, as /openapi.json serialises them.
        assert json.dumps(paths[path]["get"]) == json.dumps(published[path]), path


@pytest.fixture
async def scene(client: httpx.AsyncClient, world: World) -> dict[str, Tenant]:
    platform, other = await world.platform(), await world.platform("Other TV")
    flix = await world.app("Flix", platforms=(platform,))
    hidden = await world.app("Hidden", platforms=(platform,))
    for n in range(7):
        rated = {"maturity_age": n * 3, "content_rating": f"R{n}"} if n % 3 else {}
        kind = {"media_type": "movie", "season": None, "episode": None} if n == 4 else {}
        await world.put_item(flix, "c", content_id=f"f{n}", series_id="show", **rated, **kind)
        await world.put_item(hidden, "h", content_id=f"h{n}")
    await world.attach(platform, "s", flix, "c")
    await world.attach(platform, "s", hidden, "h")
    await world.attach(platform, "empty", flix, "other-context")
    await world.enable(hidden, platform, enabled=False)  # attached, but not visible
    return {"platform": platform, "other": other, "flix": flix}


def _basic(key: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{key[0]}:{key[1]}".encode()).decode()


async def _both(
    client: httpx.AsyncClient, documented: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    served = await client.get(url, headers=headers)
    alone = await documented.get(url, headers=headers)
    return served, alone


QUERIES = [
    "", "limit=2", "limit=3&next_key=2", "next_key=5", "next_key=500", "limit=200",
    "limit=0", "limit=201", "limit=-1", "limit=abc", "limit=2&limit=3", "limit=%32",
    "per_series=1", "per_app_limit=1", "platform_id=PL1", "unknown=1", "limit=", "&",
    "limit=07", "next_key=2147483648", "limit=+2",
    "action=up_next_continue", "action=up_next_next,up_next_continue", "action=up_next_x",
    "action=up_next_continue,up_next_continue", "action=up_next_continue%2Cup_next_next",
    "media_type=movie&limit=2", "media_type=show", "max_maturity=7&unrated=exclude",
    "max_maturity=07", "max_maturity=22", "max_maturity=0&next_key=1", "unrated=exclude",
    "unrated=no", "unrated=include&unrated=include", "action=up_next_continue&per_series=1",
]  # fmt: skip
URLS = [
    "/v1/sessions/upnext/s", "/v1/sessions/upnext/s/c", "/v1/sessions/upnext/s/h",
    "/v1/sessions/upnext/s/contexts", "/v1/sessions/upnext/nope", "/v1/sessions/upnext/nope/c",
    "/v1/sessions/upnext/empty", "/v1/sessions/upnext/s/nope", "/v1/sessions/upnext/s%20x",
    "/v1/sessions/upnext/nope/contexts", "/v1/sessions/upnext/s/c%0A",
]  # fmt: skip


async def test_every_request_answers_as_on_the_documented_route(
    client: httpx.AsyncClient, documented: httpx.AsyncClient, scene: dict[str, Tenant]
) -> None:
    platform, other = scene["platform"], scene["other"]
    keys = {
        "platform": _basic(platform.auth),
        "other platform": _basic(other.auth),
        "publisher": _basic(scene["flix"].auth),
        "operator": _basic(ADMIN),
        "wrong secret": _basic((platform.key_id, "nope")),
        "unknown key": _basic(("KY999999999999999999", "nope")),
        "not base64": "Basic !!!",
        "no colon": "Basic " + base64.b64encode(b"plain").decode(),
        "bearer": "Bearer abc",
    }
    for url in URLS:
        for query in QUERIES:
            for name, authorization in keys.items():
                full = f"{url}?{query}" if query else url
                served, alone = await _both(
                    client, documented, full, {"authorization": authorization}
                )
                same_answer(served, alone)
                assert served.status_code != 500, (full, name)
            served, alone = await _both(client, documented, url, {})  # no credentials: 401
            same_answer(served, alone)


async def test_etags_and_304_are_the_documented_routes(
    client: httpx.AsyncClient, documented: httpx.AsyncClient, scene: dict[str, Tenant]
) -> None:
    auth = {"authorization": _basic(scene["platform"].auth)}
    for url in (
        "/v1/sessions/upnext/s",
        "/v1/sessions/upnext/s/c",
        "/v1/sessions/upnext/s/contexts",
    ):
        tag = (await client.get(url, headers=auth)).headers["etag"]
        for held in (tag, f'W/{tag}, "other"', "*", '"stale"', tag[:-2] + '"'):
            served, alone = await _both(client, documented, url, {**auth, "if-none-match": held})
            same_answer(served, alone)
        served = await client.get(url, headers={**auth, "if-none-match": tag})
        assert served.status_code == 304


async def test_the_lean_reads_serve_the_common_requests_themselves(
    app: FastAPI, client: httpx.AsyncClient, scene: dict[str, Tenant], monkeypatch: Any
) -> None:
    handed: list[str] = []
    edge = app.middleware_stack
    assert isinstance(edge, Edge) and isinstance(edge.lean, LeanPaths)
    reads = edge.lean.reads
    for read in (reads.aggregated, reads.one, reads.attached):
        original = read.documented

        async def handle(
            scope: Scope, receive: Receive, send: Send, original: Any = original
        ) -> None:
            handed.append(scope["path"])
            await original(scope, receive, send)

        monkeypatch.setattr(read, "documented", handle)
    auth = scene["platform"].auth
    for url in ("/v1/sessions/upnext/s", "/v1/sessions/upnext/s/c?limit=2&next_key=1"):
        assert (await client.get(url, auth=auth)).status_code == 200
    assert (await client.get("/v1/sessions/upnext/s/contexts", auth=auth)).status_code == 200
    assert handed == []
    assert (await client.get("/v1/sessions/upnext/nope", auth=auth)).status_code == 404
    assert (await client.get("/v1/sessions/upnext/s", auth=ADMIN)).status_code == 200
    assert handed == ["/v1/sessions/upnext/nope", "/v1/sessions/upnext/s"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=st.lists(
        st.tuples(
            st.sampled_from(["limit", "next_key", "x", "action", "max_maturity", "unrated"]),
            st.one_of(
                st.text(max_size=4),
                st.sampled_from(["up_next_continue", "up_next_new,up_next_next", "exclude"]),
            ),
        )
    )
)
async def test_any_query_answers_as_on_the_documented_route(
    client: httpx.AsyncClient,
    documented: httpx.AsyncClient,
    scene: dict[str, Tenant],
    query: list[tuple[str, str]],
) -> None:
    headers = {"authorization": _basic(scene["platform"].auth)}
    url = httpx.URL("/v1/sessions/upnext/s", params=query)
    served, alone = await _both(client, documented, str(url), headers)
    same_answer(served, alone)


async def test_the_lean_reads_serve_plainly_written_filters_themselves(
    client: httpx.AsyncClient, scene: dict[str, Tenant], monkeypatch: Any
) -> None:
    handed: list[str] = []
    original = endpoints._item_list

    async def documented(request: Any, *args: Any) -> Any:
        handed.append(request.url.query)
        return await original(request, *args)

    monkeypatch.setattr(endpoints, "_item_list", documented)
    auth = scene["platform"].auth
    for query in (
        "max_maturity=7&unrated=exclude",
        "action=up_next_continue,up_next_next&media_type=tv_episode&limit=2",
        "unrated=include&next_key=1",
    ):
        for url in ("/v1/sessions/upnext/s", "/v1/sessions/upnext/s/c"):
            assert (await client.get(f"{url}?{query}", auth=auth)).status_code == 200
    assert handed == []
    for query in ("max_maturity=07", "action=up_next_next,up_next_next"):  # valid, not plain
        assert (await client.get(f"/v1/sessions/upnext/s?{query}", auth=auth)).status_code == 200
    assert handed == ["max_maturity=07", "action=up_next_next,up_next_next"]
