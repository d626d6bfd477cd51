"""Properties checked with Hypothesis: paging visits every item once, in order; ids follow
their rules (CONTRACT 2 and 5)."""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import Tenant, World
from upnext.contexts.schemas import render_item
from upnext.db.tables import contexts, items
from upnext.kit import ids
from upnext.kit.pagination import Page, list_object

# The app, client and database are set up once per test, not per example: each example
# cleans up after itself.
EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CLIENT_ID = st.from_regex(r"\A[A-Za-z0-9._~:@-]{1,40}\Z")
_contexts = itertools.count(1)


@given(
    total=st.integers(0, 1000),
    offset=st.integers(0, 1200),
    limit=st.integers(1, 200),
)
def test_list_object_announces_next_key_only_when_more_follow(
    total: int, offset: int, limit: int
) -> None:
    shown = list(range(max(0, min(limit, total - offset))))
    body = list_object(shown, total, Page(limit=limit, offset=offset))
    assert body["total"] == total
    if offset + len(shown) < total:
        assert body["next_key"] == offset + len(shown)
    else:
        assert "next_key" not in body


def _row(context_id: str, app_id: str, content_id: str, updated_at: int) -> dict[str, Any]:
    row = {
        "context_id": context_id,
        "content_id": content_id,
        "app_id": app_id,
        "updated_at": updated_at,
        "action": "up_next_next",
        "media_type": "movie",
        "title": content_id,
        "description": "",
        "poster_art_uri": "https://media.example.com/p.png",
        "poster_art_aspect_ratio": "aspect_ratio_16_9",
        "duration": 60,
        "hidden": False,
    }
    return {**row, "rendered": render_item(row)}


async def _page_through(client: httpx.AsyncClient, url: str, limit: int, auth: Any) -> Any:
    seen: list[dict[str, Any]] = []
    next_key: int | None = 0
    totals = set()
    while next_key is not None:
        r = await client.get(url, params={"limit": limit, "next_key": next_key}, auth=auth)
        assert r.status_code == 200, r.text
        body = r.json()
        totals.add(body["total"])
        seen.extend(body["items"])
        assert len(body["items"]) <= limit
        next_key = body.get("next_key")
    return seen, totals


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return (item["context_id"], item["content_id"])


# Few distinct timestamps, so that many items tie on updated_at.
ROWS = st.lists(
    st.tuples(st.integers(0, 2), CLIENT_ID, st.integers(0, 4)),
    max_size=40,
    unique_by=lambda row: (row[0], row[1]),
)


@EXAMPLES
@given(rows=ROWS, limit=st.integers(1, 7))
async def test_paging_a_session_visits_every_item_once_newest_first(
    app: FastAPI, client: httpx.AsyncClient, world: World, rows: Any, limit: int
) -> None:
    platform = await world.platform()
    apps = [await world.app(f"App {n}", platforms=(platform,)) for n in range(3)]
    session_id = f"s-{next(_contexts)}"
    names = [f"p{next(_contexts)}-{n}" for n in range(3)]
    async with app.state.db.write() as conn:
        for name, tenant in zip(names, apps, strict=True):
            values = {"context_id": name, "app_id": tenant.id, "created_at": 0}
            await conn.execute(contexts.insert().values(values))
        for which, content_id, updated_at in rows:
            await conn.execute(
                items.insert().values(
                    _row(names[which], apps[which].id, content_id, 1_000 + updated_at)
                )
            )
    for name, tenant in zip(names, apps, strict=True):
        await world.attach(platform, session_id, tenant, name)

    url = f"/v1/sessions/upnext/{session_id}"
    paged, totals = await _page_through(client, url, limit, platform.auth)
    whole = (await client.get(url, params={"limit": 200}, auth=platform.auth)).json()["items"]

    assert totals == {len(rows)}
    assert [_key(i) for i in paged] == [_key(i) for i in whole]  # pages agree with one read
    assert len(set(map(_key, paged))) == len(rows)  # no repeats, no skips
    stamps = [i["updated_at"] for i in paged]
    assert stamps == sorted(stamps, reverse=True)  # newest first

    for tenant, name in zip(apps, names, strict=True):  # and each context alone
        mine, _ = await _page_through(client, f"/v1/contexts/upnext/{name}", limit, tenant.auth)
        assert [_key(i) for i in mine] == [_key(i) for i in paged if i["context_id"] == name]


@given(st.lists(st.sampled_from(["PL", "AP", "KY"]), min_size=2, max_size=50))
def test_minted_ids_are_prefix_and_18_digits_and_increase(prefixes: list[str]) -> None:
    minted = [ids.mint(prefix) for prefix in prefixes]
    for prefix, value in zip(prefixes, minted, strict=True):
        assert re.fullmatch(rf"{prefix}\d{{18}}", value)
    numbers = [int(value[2:]) for value in minted]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


@given(st.integers(16, 64))
def test_tokens_carry_the_entropy_asked_for(nbytes: int) -> None:
    token = ids.token(nbytes)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(token) >= nbytes * 4 // 3


# Any printable text: '/' and the dot segments '.' and '..' are left out because clients
# resolve them away (RFC 3986) before the server sees the URL, whatever the id rule says.
ANY_ID = st.text(
    st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=140
).filter(lambda s: s not in (".", ".."))


@pytest.fixture
async def publisher(world: World) -> Tenant:
    return await world.app()


@EXAMPLES
@given(candidate=st.one_of(ANY_ID, CLIENT_ID.filter(lambda s: s not in (".", ".."))))
async def test_client_ids_are_accepted_exactly_when_they_follow_the_rule(
    client: httpx.AsyncClient, publisher: Tenant, candidate: str
) -> None:
    path = f"/v1/contexts/upnext/{quote(candidate, safe='')}"
    r = await client.get(path, auth=publisher.auth)
    valid = ids.is_client_id(candidate) and candidate != "contexts"
    assert r.status_code == (404 if valid else 400), (candidate, r.text)
    assert r.json()["code"] == ("context_not_found" if valid else "invalid_parameter")
