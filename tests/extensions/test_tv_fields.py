"""Items a TV can draw and start: show titles, playback links, ratings, windows, filters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import Tenant, World, make_item, make_movie
from upnext.kit.timestamps import iso, now_us

HOUR_US = 3_600_000_000


async def _put(client: httpx.AsyncClient, app: Tenant, item: dict[str, Any]) -> httpx.Response:
    return await client.put("/v1/contexts/upnext/c", json=item, auth=app.auth)


def _fields(r: httpx.Response) -> list[str]:
    assert r.status_code == 422, r.text
    return [e["field"] for e in r.json()["errors"]]


async def _session(
    client: httpx.AsyncClient,
    platform: Tenant,
    query: str = "",
    path: str = "/v1/sessions/upnext/s",
) -> dict[str, Any]:
    r = await client.get(f"{path}?{query}" if query else path, auth=platform.auth)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _ids(body: dict[str, Any]) -> list[str]:
    return [item["content_id"] for item in body["items"]]


@pytest.fixture
async def flix(client: httpx.AsyncClient, world: World) -> tuple[Tenant, Tenant]:
    platform = await world.platform()
    app = await world.app(platforms=(platform,))
    await world.attach(platform, "s", app, "c")
    return platform, app


async def test_series_title_is_the_shows_name_on_episodes_only(
    client: httpx.AsyncClient, flix: tuple[Tenant, Tenant]
) -> None:
    platform, app = flix
    r = await _put(client, app, make_item(content_id="e1", title="The Colt", series_title="Lassie"))
    assert r.status_code == 200, r.text
    [item] = (await _session(client, platform))["items"]
    assert (item["title"], item["series_title"]) == ("The Colt", "Lassie")
    assert _fields(await _put(client, app, make_movie(series_title="Lassie"))) == ["series_title"]
    assert _fields(await _put(client, app, make_item(series_title=""))) == ["series_title"]
    assert _fields(await _put(client, app, make_item(series_title="x" * 513))) == ["series_title"]
    [item] = (await _session(client, platform))["items"]  # nothing else was written
    assert item["content_id"] == "e1"


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "file:///etc/passwd",
        "vbscript:x", "about:blank", "play/42", "/play/42", "flix:", "flix://play/4 2",
        "https://", "https:///x", "flix://play/\x01", "\u00e9://x", "flix://" + "a" * 2042,
    ],
)  # fmt: skip
async def test_a_playback_link_that_could_not_start_playback_safely_is_422(
    client: httpx.AsyncClient, flix: tuple[Tenant, Tenant], uri: str
) -> None:
    _, app = flix
    assert _fields(await _put(client, app, make_item(playback_uri=uri))) == ["playback_uri"]
    links = {"PL000000000000000001": uri}
    fields = _fields(await _put(client, app, make_item(playback_uris=links)))
    assert fields == ["playback_uris.PL000000000000000001"]


async def test_playback_uris_take_at_most_16_platform_ids(
    client: httpx.AsyncClient, flix: tuple[Tenant, Tenant]
) -> None:
    _, app = flix
    many = {f"PL{n:018d}": f"flix://play/{n}" for n in range(17)}
    assert _fields(await _put(client, app, make_item(playback_uris=many))) == ["playback_uris"]
    bad_key = {"not-a-platform": "flix://play/1"}
    assert _fields(await _put(client, app, make_item(playback_uris=bad_key)))[0].startswith(
        "playback_uris"
    )
    many.pop("PL000000000000000016")
    ok = make_item(playback_uri="https://watch.example.com/p/1", playback_uris=many)
    assert (await _put(client, app, ok)).status_code == 200
    longest = "flix://" + "a" * 2041
    assert (await _put(client, app, make_item(playback_uri=longest))).status_code == 200


async def test_each_platform_sees_its_own_link_and_the_publisher_sees_both(
    client: httpx.AsyncClient, world: World, documented: httpx.AsyncClient
) -> None:
    tv, stick, third = [await world.platform(n) for n in ("TV", "Stick", "Third")]
    app = await world.app(platforms=(tv, stick, third))
    links = {tv.id: "tvapp://play/42", stick.id: "https://stick.example.com/play/42"}
    await world.put_item(
        app, "c", content_id="both", playback_uri="flix://play/42", playback_uris=links
    )
    await world.put_item(app, "c", content_id="only-tv", playback_uris={tv.id: "tvapp://play/7"})
    await world.put_item(app, "c", content_id="default", playback_uri="flix://play/9")
    await world.put_item(app, "c", content_id="none")
    expected = [
        (tv, {"both": "tvapp://play/42", "only-tv": "tvapp://play/7", "default": "flix://play/9"}),
        (stick, {"both": "https://stick.example.com/play/42", "default": "flix://play/9"}),
        (third, {"both": "flix://play/42", "default": "flix://play/9"}),
    ]
    for platform, seen in expected:
        await world.attach(platform, "s", app, "c")
        for path in ("/v1/sessions/upnext/s", "/v1/sessions/upnext/s/c"):
            for served in (client, documented):  # the lean read and the documented route
                r = await served.get(path, auth=platform.auth)
                assert r.status_code == 200, r.text
                assert b"playback_uris" not in r.content  # others' links are not theirs
                listed = {i["content_id"]: i.get("playback_uri") for i in r.json()["items"]}
                assert listed == {"none": None, "only-tv": None, **seen}
                keys = list(next(i for i in r.json()["items"] if i["content_id"] == "both"))
                assert keys[-3:] == ["playback_uri", "platform_data", "app_media"]
    r = await client.get("/v1/contexts/upnext/c", auth=app.auth)
    own = {i["content_id"]: i for i in r.json()["items"]}
    assert (own["both"]["playback_uri"], own["both"]["playback_uris"]) == ("flix://play/42", links)
    assert list(own["both"])[-2:] == ["playback_uri", "playback_uris"]
    assert "playback_uri" not in own["only-tv"] and "playback_uris" not in own["default"]
    assert not {"playback_uri", "playback_uris"} & set(own["none"])


async def test_an_item_written_without_the_new_fields_is_listed_as_before(
    client: httpx.AsyncClient, flix: tuple[Tenant, Tenant]
) -> None:
    platform, app = flix
    item = make_item(content_id="plain")
    assert (await _put(client, app, {**item, "playback_uris": {}})).status_code == 200
    [listed] = (await _session(client, platform))["items"]
    new = {"series_title", "content_rating", "maturity_age", "available_from", "playback_uri"}
    assert not new & set(listed) and "playback_uris" not in listed


async def test_ratings_are_checked_and_listed(
    client: httpx.AsyncClient, flix: tuple[Tenant, Tenant]
) -> None:
    platform, app = flix
    for bad in ({"maturity_age": 22}, {"maturity_age": -1}, {"maturity_age": "7"}):
        assert _fields(await _put(client, app, make_item(**bad))) == ["maturity_age"]
    for bad_rating in ("", "x" * 33, "PG\x00"):
        assert _fields(await _put(client, app, make_item(content_rating=bad_rating))) == [
            "content_rating"
        ]
    r = await _put(client, app, make_item(content_id="r", content_rating="FSK 12", maturity_age=12))
    assert r.status_code == 200
    [item] = (await _session(client, platform))["items"]
    assert (item["content_rating"], item["maturity_age"]) == ("FSK 12", 12)


async def test_an_item_not_yet_available_is_left_out_of_the_session_lists_only(
    client: httpx.AsyncClient, flix: tuple[Tenant, Tenant], documented: httpx.AsyncClient
) -> None:
    platform, app = flix
    soon, past = iso(now_us() + HOUR_US), iso(now_us() - HOUR_US)
    await _put(client, app, make_item(content_id="later", available_from=soon))
    await _put(client, app, make_item(content_id="now", available_from=past))
    await _put(client, app, make_item(content_id="plain"))
    for served in (client, documented):
        for path in ("/v1/sessions/upnext/s", "/v1/sessions/upnext/s/c"):
            r = await served.get(path, auth=platform.auth)
            assert (r.json()["total"], _ids(r.json())) == (2, ["plain", "now"])
        r = await served.get("/v1/sessions/upnext/s?per_series=1", auth=platform.auth)
        assert r.json()["total"] == 2
    own = (await client.get("/v1/contexts/upnext/c", auth=app.auth)).json()
    assert (own["total"], _ids(own)) == (3, ["plain", "now", "later"])
    assert own["items"][1]["available_from"] == past


async def test_available_from_must_be_before_expires_at(
    client: httpx.AsyncClient, flix: tuple[Tenant, Tenant]
) -> None:
    _, app = flix
    for start in ("2024-07-01T00:00:00Z", "2024-07-02T00:00:00Z"):
        item = make_item(available_from=start, expires_at="2024-07-01T00:00:00Z")
        assert _fields(await _put(client, app, item)) == ["available_from"]
    assert _fields(await _put(client, app, make_item(available_from="soon"))) == ["available_from"]
    window = make_item(available_from="2024-06-01T00:00:00Z", expires_at="2099-01-01T00:00:00Z")
    assert (await _put(client, app, window)).status_code == 200


@pytest.fixture
async def shelf(client: httpx.AsyncClient, world: World) -> tuple[Tenant, Tenant, Tenant]:
    """Two apps in one session, with every kind, action and rating."""
    platform = await world.platform()
    flix = await world.app("Flix", platforms=(platform,))
    kids = await world.app("Kids", platforms=(platform,))
    for app, context in ((flix, "c"), (kids, "k")):
        for n, (action, age) in enumerate(
            [("up_next_continue", 18), ("up_next_next", 7), ("up_next_new", None),
             ("up_next_watchlist", 0), ("up_next_next", 12), ("up_next_continue", 7)]
        ):  # fmt: skip
            movie = n % 2 == 1
            item = make_item(
                content_id=f"{context}{n}",
                media_type="movie" if movie else "tv_episode",
                action=action,
                season=None if movie else 1,
                episode=None if movie else n,
                position=10 if action == "up_next_continue" else None,
                maturity_age=age,
                series_id=None if movie else f"show-{context}",
            )
            r = await client.put(f"/v1/contexts/upnext/{context}", json=item, auth=app.auth)
            assert r.status_code == 200, r.text
        await world.attach(platform, "s", app, context)
    return platform, flix, kids


async def test_a_kids_profile_reads_only_rated_titles_for_its_age_across_apps(
    client: httpx.AsyncClient, shelf: tuple[Tenant, Tenant, Tenant]
) -> None:
    platform, _, _ = shelf
    kids = await _session(client, platform, "max_maturity=7&unrated=exclude")
    assert (kids["total"], _ids(kids)) == (6, ["k5", "k3", "k1", "c5", "c3", "c1"])
    assert all(item["maturity_age"] <= 7 for item in kids["items"])
    with_unrated = await _session(client, platform, "max_maturity=7")
    assert _ids(with_unrated) == ["k5", "k3", "k2", "k1", "c5", "c3", "c2", "c1"]
    rated = await _session(client, platform, "unrated=exclude")
    assert rated["total"] == 10 and "k2" not in _ids(rated)
    paged = await _session(client, platform, "max_maturity=7&unrated=exclude&limit=4")
    assert (paged["total"], paged["next_key"], _ids(paged)) == (6, 4, ["k5", "k3", "k1", "c5"])
    rest = await _session(client, platform, "max_maturity=7&unrated=exclude&limit=4&next_key=4")
    assert _ids(rest) == ["c3", "c1"] and "next_key" not in rest


async def test_filters_by_action_and_kind_combine_with_each_other_and_the_shaping(
    client: httpx.AsyncClient, shelf: tuple[Tenant, Tenant, Tenant], documented: httpx.AsyncClient
) -> None:
    platform, flix, _ = shelf
    cases = {
        "action=up_next_continue": ["k5", "k0", "c5", "c0"],
        "action=up_next_next,up_next_new": ["k4", "k2", "k1", "c4", "c2", "c1"],
        "action=up_next_new,up_next_next,up_next_new": ["k4", "k2", "k1", "c4", "c2", "c1"],
        "media_type=movie": ["k5", "k3", "k1", "c5", "c3", "c1"],
        "media_type=tv_episode&action=up_next_next": ["k4", "c4"],
        "media_type=movie&max_maturity=0&unrated=exclude": ["k3", "c3"],
        "media_type=tv_episode&per_series=1": ["k4", "c4"],
        "action=up_next_continue&per_app_limit=1": ["k5", "c5"],
        "max_maturity=12&per_app_limit=2&unrated=exclude": ["k5", "k4", "c5", "c4"],
    }
    tags = set()
    for query, expected in cases.items():
        for served in (client, documented):
            body = await _session(served, platform, query)
            assert (_ids(body), body["total"]) == (expected, len(expected)), query
            one = await _session(served, platform, query, "/v1/sessions/upnext/s/c")
            assert _ids(one) == [i for i in expected if i.startswith("c")], query
        r = await client.get(f"/v1/sessions/upnext/s?{query}", auth=platform.auth)
        tags.add(r.headers["etag"])
    # The ETag describes the filtered list: equal lists, equal tags; different, different.
    assert len(tags) == len({tuple(expected) for expected in cases.values()})
    own = await client.get(
        "/v1/contexts/upnext/c?action=up_next_next,up_next_watchlist&media_type=movie&limit=1",
        auth=flix.auth,
    )
    assert (own.json()["total"], own.json()["next_key"], _ids(own.json())) == (2, 1, ["c3"])
    own = await client.get("/v1/contexts/upnext/c?max_maturity=7&unrated=exclude", auth=flix.auth)
    assert _ids(own.json()) == ["c5", "c3", "c1"]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("action=up_next_later", "action"), ("action=", "action"),
        ("action=up_next_next,", "action"), ("action=UP_NEXT_NEXT", "action"),
        ("media_type=show", "media_type"), ("media_type=", "media_type"),
        ("max_maturity=22", "max_maturity"), ("max_maturity=-1", "max_maturity"),
        ("max_maturity=seven", "max_maturity"), ("unrated=maybe", "unrated"),
        ("unrated=EXCLUDE", "unrated"),
    ],
)  # fmt: skip
async def test_an_unknown_filter_value_is_400_naming_the_parameter(
    client: httpx.AsyncClient, shelf: tuple[Tenant, Tenant, Tenant], query: str, name: str
) -> None:
    platform, flix, _ = shelf
    for path, auth in (
        ("/v1/sessions/upnext/s", platform.auth),
        ("/v1/sessions/upnext/s/c", platform.auth),
        ("/v1/contexts/upnext/c", flix.auth),
    ):
        r = await client.get(f"{path}?{query}", auth=auth)
        assert r.status_code == 400, (path, query, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in r.json()["errors"]] == [name]
        assert name in r.json()["detail"]


def test_the_openapi_describes_every_new_field_and_parameter_with_an_example(app: Any) -> None:
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    new = ("series_title", "playback_uri", "playback_uris", "content_rating", "maturity_age")
    for model, fields in (
        ("ItemIn", (*new, "available_from")),
        ("ItemOut", (*new, "available_from")),
        ("SessionItemOut", ("series_title", "playback_uri", "content_rating", "maturity_age")),
        ("HideIn", ("scope", "until")),
    ):
        for field in fields:
            assert schemas[model]["properties"][field].get("examples"), (model, field)
    assert "playback_uris" not in schemas["SessionItemOut"]["properties"]
    for path in (
        "/v1/sessions/upnext/{session_id}",
        "/v1/sessions/upnext/{session_id}/{context_id}",
        "/v1/contexts/upnext/{context_id}",
    ):
        parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        for name in ("action", "media_type", "max_maturity", "unrated"):
            assert parameters[name]["schema"].get("examples"), (path, name)
