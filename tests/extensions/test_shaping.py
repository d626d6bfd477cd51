"""per_series and per_app_limit on a session that aggregates several apps."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import Tenant, World, make_movie


@pytest.fixture
async def session(world: World) -> tuple[Tenant, dict[str, Tenant]]:
    """Written oldest first: Flix has two shows and a movie, Tube floods with five clips."""
    platform = await world.platform()
    flix = await world.app("Flix", platforms=(platform,))
    tube = await world.app("Tube", platforms=(platform,))
    for n in (1, 2, 3):
        await world.put_item(flix, "flix-c", content_id=f"colt-{n}", series_id="colt")
    await world.put_item(flix, "flix-c", content_id="lassie-1", series_id="lassie")
    await world.put_item(flix, "flix-c", content_id="lassie-2", series_id="lassie")
    r = await world.client.put(
        "/v1/contexts/upnext/flix-c", json=make_movie(content_id="movie"), auth=flix.auth
    )
    assert r.status_code == 200
    for n in range(5):
        await world.put_item(tube, "tube-c", content_id=f"clip-{n}")
    await world.attach(platform, "s", flix, "flix-c")
    await world.attach(platform, "s", tube, "tube-c")
    return platform, {"flix": flix, "tube": tube}


async def ids(client: httpx.AsyncClient, platform: Tenant, query: str = "") -> list[str]:
    r = await client.get(f"/v1/sessions/upnext/s{query}", auth=platform.auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] >= len(body["items"])
    return [i["content_id"] for i in body["items"]]


async def test_defaults_are_the_reference_list(
    client: httpx.AsyncClient, session: tuple[Tenant, dict[str, Tenant]]
) -> None:
    platform, _ = session
    got = await ids(client, platform)
    assert got == [f"clip-{n}" for n in range(4, -1, -1)] + [
        "movie",
        "lassie-2",
        "lassie-1",
        "colt-3",
        "colt-2",
        "colt-1",
    ]


async def test_per_series_keeps_the_newest_episode_of_each_show(
    client: httpx.AsyncClient, session: tuple[Tenant, dict[str, Tenant]]
) -> None:
    platform, _ = session
    got = await ids(client, platform, "?per_series=1")
    assert got == [f"clip-{n}" for n in range(4, -1, -1)] + ["movie", "lassie-2", "colt-3"]


async def test_per_app_limit_caps_each_app(
    client: httpx.AsyncClient, session: tuple[Tenant, dict[str, Tenant]]
) -> None:
    platform, _ = session
    assert await ids(client, platform, "?per_app_limit=2") == [
        "clip-4",
        "clip-3",
        "movie",
        "lassie-2",
    ]


async def test_both_together_and_paging_counts_the_shaped_list(
    client: httpx.AsyncClient, session: tuple[Tenant, dict[str, Tenant]]
) -> None:
    platform, _ = session
    query = "?per_series=1&per_app_limit=2&limit=3"
    r = await client.get(f"/v1/sessions/upnext/s{query}", auth=platform.auth)
    body = r.json()
    assert body["total"] == 4 and body["next_key"] == 3
    assert [i["content_id"] for i in body["items"]] == ["clip-4", "clip-3", "movie"]
    r = await client.get(f"/v1/sessions/upnext/s{query}&next_key=3", auth=platform.auth)
    assert [i["content_id"] for i in r.json()["items"]] == ["lassie-2"]


async def test_one_context_of_a_session_takes_the_same_parameters(
    client: httpx.AsyncClient, session: tuple[Tenant, dict[str, Tenant]]
) -> None:
    platform, _ = session
    r = await client.get("/v1/sessions/upnext/s/flix-c?per_series=1", auth=platform.auth)
    assert [i["content_id"] for i in r.json()["items"]] == ["movie", "lassie-2", "colt-3"]


async def test_series_id_is_kept_only_on_episodes_and_checked(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    movie = make_movie(content_id="m", series_id="ignored")
    assert (await client.put("/v1/contexts/upnext/c", json=movie, auth=app.auth)).status_code == 200
    [got] = (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()["items"]
    assert "series_id" not in got
    bad = make_movie(content_id="m", series_id="no spaces")
    assert (await client.put("/v1/contexts/upnext/c", json=bad, auth=app.auth)).status_code == 422


@pytest.mark.parametrize("query", ["per_app_limit=0", "per_app_limit=x", "per_series=maybe"])
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, session: tuple[Tenant, dict[str, Tenant]], query: str
) -> None:
    platform, _ = session
    r = await client.get(f"/v1/sessions/upnext/s?{query}", auth=platform.auth)
    assert r.status_code == 400
