"""``upnext demo``: the seeded world, its generated art, and the command serving it."""

from __future__ import annotations

import io
import re
import time

import httpx
import pytest
from PIL import Image

from tests import servers
from upnext import demo
from upnext.portal.media import MEDIA_FILES
from upnext.settings import Settings


def _auth(key: str) -> tuple[str, str]:
    key_id, _, secret = key.partition(":")
    return key_id, secret


async def test_the_demo_world_fills_a_row_from_three_apps(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await demo.prepare(settings)
    r = await client.get(f"/v1/sessions/upnext/{world.session_id}", auth=_auth(world.platform_key))
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 12
    assert {i["action"] for i in items} == {
        "up_next_continue",
        "up_next_next",
        "up_next_new",
        "up_next_watchlist",
    }
    assert {i["media_type"] for i in items} == {"movie", "tv_episode"}
    assert len({i["app_id"] for i in items}) == 3
    assert [i["content_id"] for i in items] == [show.slug for show in demo.CATALOGUE]
    assert all(len(i["app_media"]) == len(MEDIA_FILES) for i in items)
    for name, app_id, key in world.apps:
        r = await client.get(f"/v1/apps/{app_id}", auth=_auth(key))
        assert r.json()["name"] == name


async def test_the_demo_attaches_by_handoff_and_prints_a_token_to_try(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await demo.prepare(settings)
    platform = _auth(world.platform_key)
    [(nebula, nebula_id, nebula_key), *others] = world.apps
    r = await client.get(f"/v1/apps/{nebula_id}", auth=_auth(nebula_key))
    assert r.json()["attach_requires_handoff"] is True
    for _, app_id, key in others:
        r = await client.get(f"/v1/apps/{app_id}", auth=_auth(key))
        assert "attach_requires_handoff" not in r.json()
    context_id = demo.APPS[0][2]
    named = {"app_id": nebula_id, "context_id": context_id}
    r = await client.put("/v1/sessions/upnext/bedroom", json=named, auth=platform)
    assert r.status_code == 403 and r.json()["code"] == "handoff_required"
    # The printed command, as a newcomer would paste it.
    text = demo.welcome(world, "http://testserver")
    assert f"handoff: {nebula} lets platforms attach" in text
    command = re.search(r"curl -u (\S+) -X PUT (\S+) -H '([^']+)' -d '([^']+)'", text)
    assert command, text
    key, url, _, body = command.groups()
    assert key == world.platform_key and world.handoff_expires_at in text
    r = await client.put(
        url, content=body, headers={"content-type": "application/json"}, auth=platform
    )
    assert r.status_code == 200 and r.json()["context_id"] == context_id
    r = await client.put(
        url, content=body, headers={"content-type": "application/json"}, auth=platform
    )
    assert r.status_code == 422 and r.json()["code"] == "handoff_token_invalid"


async def test_the_demo_seeds_only_an_empty_database(settings: Settings) -> None:
    await demo.prepare(settings)
    with pytest.raises(demo.NotEmpty):
        await demo.prepare(settings)


async def test_poster_art_has_the_items_aspect_ratio(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await demo.prepare(settings)
    for show in demo.CATALOGUE:
        item = show.item("http://testserver")
        r = await client.get(item["poster_art_uri"])
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(r.content)).size == demo.RATIOS[show.ratio]
    assert (await client.get("/portal/art/16x9/..%2Fetc.png")).status_code == 404


@pytest.mark.slow
def test_the_demo_command_prints_a_working_portal_url(database_url: str) -> None:
    port = servers.free_port()
    command = ("demo", "--host", "127.0.0.1", "--port", str(port), "--database-url", database_url)
    server = servers.start({}, command=command, wait=False)
    try:
        deadline = time.monotonic() + 60
        while "Uvicorn running" not in server.stdout():
            assert server.is_running() and time.monotonic() < deadline, server.stdout()
            time.sleep(0.1)
        output = server.stdout()
        url = re.search(r"^portal: (\S+)$", output, re.M)
        platform_key = re.search(r"^  platform .* (KY\d+:\S+)$", output, re.M)
        assert url and platform_key, output
        assert url.group(1) == f"http://127.0.0.1:{port}/portal/platform/sessions/living-room"
        with httpx.Client(follow_redirects=True) as browser:
            page = browser.get(url.group(1))
            assert page.status_code == 200 and "Sign in with a key" in page.text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token
            key_id, secret = _auth(platform_key.group(1))
            form = {"csrf_token": token.group(1), "key_id": key_id, "secret": secret}
            form["next"] = "/portal/platform/sessions/living-room"
            row = browser.post(f"http://127.0.0.1:{port}/portal/login", data=form)
            assert row.status_code == 200
            assert str(row.url) == url.group(1)
            assert row.text.count('<li class="card ') == 12
    finally:
        server.terminate()
        server.log.unlink(missing_ok=True)
