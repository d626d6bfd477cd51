"""session_changed: platforms hear when a session's list changes, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.factories import make_item
from tests.webhooks.receiver import receiving
from tests.webhooks.scene import PlatformScene, make_platform_scene
from upnext.webhooks import session_events

Step = Callable[[PlatformScene], Awaitable[None]]


def _data(body: bytes) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(body)
    assert payload["type"] == "session_changed"
    data: dict[str, Any] = payload["data"]
    return data


async def _ok(response: Awaitable[httpx.Response], status: int = 200) -> None:
    r = await response
    assert r.status_code == status, r.text


async def test_a_write_sends_a_signed_session_changed(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_platform_scene(client, receiver.url)
        await scene.put_item(title="Moved on")
        (request,) = await receiver.wait_for(1)
        (delivery,) = await scene.wait_until("delivered")

    payload = Webhook(scene.secret).verify(request.body, request.headers)
    assert payload["type"] == "session_changed"
    assert payload["timestamp"].endswith("Z")
    data = payload["data"]
    assert data == {
        "platform_id": scene.platform.id,
        "session_id": scene.session_id,
        "context_ids": [scene.context_ids[0]],
        "changed_at": data["changed_at"],
    }
    datetime.fromisoformat(data["changed_at"].replace("Z", "+00:00"))
    assert data["changed_at"].endswith("Z")
    assert request.webhook_id == delivery["webhook_id"]
    assert delivery["event_type"] == "session_changed"
    assert [a["status_code"] for a in delivery["attempts"]] == [200]


# Each trigger: what to do before the platform has a URL, and the change itself.


async def _nothing(scene: PlatformScene) -> None:
    pass


async def _put(scene: PlatformScene) -> None:
    await scene.put_item(title="New title")


async def _put_new(scene: PlatformScene) -> None:
    await scene.put_item(content_id="another-episode")


async def _delete(scene: PlatformScene) -> None:
    app, context_id, content_id = scene.apps[0], scene.context_ids[0], scene.content_ids[0]
    r = scene.client.delete(f"/v1/contexts/upnext/{context_id}/{content_id}", auth=app.auth)
    await _ok(r, 204)


async def _replace(scene: PlatformScene) -> None:
    app, context_id = scene.apps[0], scene.context_ids[0]
    body = {"items": [make_item()]}
    await _ok(scene.client.put(f"/v1/contexts/upnext/{context_id}/items", json=body, auth=app.auth))


async def _batch(scene: PlatformScene) -> None:
    app, context_id = scene.apps[0], scene.context_ids[0]
    body = {"upsert": [make_item()], "delete": [scene.content_ids[0]]}
    url = f"/v1/contexts/upnext/{context_id}/items:batch"
    await _ok(scene.client.post(url, json=body, auth=app.auth))


async def _progress(scene: PlatformScene) -> None:
    app, context_id = scene.apps[0], scene.context_ids[0]
    body = make_item(content_id=scene.content_ids[0], position=700, action=None)
    url = f"/v1/contexts/upnext/{context_id}/progress"
    await _ok(scene.client.post(url, json=body, auth=app.auth))


def _hide_by(scene: PlatformScene, action: str, platform: Any = None, session: str = "") -> Any:
    platform = platform or scene.platform
    return scene.client.put(
        f"/v1/sessions/upnext/{session or scene.session_id}/{scene.context_ids[0]}",
        json={"content_id": scene.content_ids[0], "action": action},
        auth=platform.auth,
    )


async def _hide(scene: PlatformScene) -> None:
    await _ok(_hide_by(scene, "hide"))


async def _unhide(scene: PlatformScene) -> None:
    await _ok(_hide_by(scene, "unhide"))


async def _other_platform_attaches(scene: PlatformScene) -> None:
    other = await scene.world.platform("Other TV")
    await scene.world.enable(scene.apps[0], other)
    await scene.world.attach(other, "their-tv", scene.apps[0], scene.context_ids[0])
    scene.others.append(other)


async def _other_platform_hides(scene: PlatformScene) -> None:
    await _ok(_hide_by(scene, "hide", scene.others[0], "their-tv"))


async def _new_app_enabled(scene: PlatformScene) -> None:
    app = await scene.world.app("Newcomer", platforms=(scene.platform,))
    await scene.world.put_item(app, "newcomer-ctx")
    scene.apps.append(app)


async def _attach(scene: PlatformScene) -> None:
    await scene.world.attach(scene.platform, scene.session_id, scene.apps[-1], "newcomer-ctx")


async def _detach(scene: PlatformScene) -> None:
    url = f"/v1/sessions/upnext/{scene.session_id}/{scene.context_ids[0]}"
    await _ok(scene.client.delete(url, auth=scene.platform.auth), 204)


async def _detach_everywhere(scene: PlatformScene) -> None:
    url = f"/v1/contexts/upnext/{scene.context_ids[0]}/sessions"
    await _ok(scene.client.delete(url, auth=scene.apps[0].auth), 204)


async def _erase(scene: PlatformScene) -> None:
    url = f"/v1/contexts/upnext/{scene.context_ids[0]}"
    await _ok(scene.client.delete(url, auth=scene.apps[0].auth), 204)


async def _avail_off(scene: PlatformScene) -> None:
    await scene.world.enable(scene.apps[0], scene.platform, enabled=False)


async def _avail_on(scene: PlatformScene) -> None:
    await scene.world.enable(scene.apps[0], scene.platform, enabled=True)


TRIGGERS: dict[str, tuple[Step, Step]] = {
    "put": (_nothing, _put),
    "put-new-item": (_nothing, _put_new),
    "delete": (_nothing, _delete),
    "replace": (_nothing, _replace),
    "batch": (_nothing, _batch),
    "progress": (_nothing, _progress),
    "hide": (_nothing, _hide),
    "unhide": (_hide, _unhide),
    "hide-by-another-platform": (_other_platform_attaches, _other_platform_hides),
    "attach": (_new_app_enabled, _attach),
    "detach": (_nothing, _detach),
    "detach-everywhere": (_nothing, _detach_everywhere),
    "erase-context": (_nothing, _erase),
    "avail-off": (_nothing, _avail_off),
    "avail-on": (_avail_off, _avail_on),
}


@pytest.mark.parametrize("trigger", TRIGGERS)
async def test_each_change_of_the_list_is_heard(client: httpx.AsyncClient, trigger: str) -> None:
    before, change = TRIGGERS[trigger]
    with receiving() as receiver:
        scene = await make_platform_scene(client, None)
        await before(scene)
        await _ok(scene.set_url(receiver.url))
        await change(scene)
        (request,) = await receiver.wait_for(1)
        await scene.wait_until("delivered")
    expected = "newcomer-ctx" if trigger == "attach" else scene.context_ids[0]
    assert _data(request.body)["context_ids"] == [expected]
    assert _data(request.body)["session_id"] == scene.session_id
    assert (await scene.deliveries())["total"] == 1


async def test_changes_that_change_nothing_are_not_heard(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_platform_scene(client, receiver.url)
        await _ok(_hide_by(scene, "unhide"))  # already visible
        await _avail_on(scene)  # already on
        await scene.world.attach(  # already attached
            scene.platform, scene.session_id, scene.apps[0], scene.context_ids[0]
        )
        # A marker the worker sends after anything queued before it.
        await _ok(
            scene.client.post(
                f"/v1/platforms/{scene.platform.id}/webhook-test", auth=scene.platform.auth
            ),
            202,
        )
        await scene.wait_until("delivered")
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["webhook_test"]
    assert (await scene.deliveries())["total"] == 1


async def test_no_event_for_a_platform_that_cannot_see_the_app(
    client: httpx.AsyncClient,
) -> None:
    with receiving() as seeing, receiving() as blind:
        scene = await make_platform_scene(client, seeing.url)
        other = await scene.world.platform("Blind TV")
        await scene.world.enable(scene.apps[0], other)
        await scene.world.attach(other, "blind-tv", scene.apps[0], scene.context_ids[0])
        await scene.world.enable(scene.apps[0], other, enabled=False)
        r = await client.patch(
            f"/v1/platforms/{other.id}", json={"webhook_url": blind.url}, auth=other.auth
        )
        assert r.status_code == 200, r.text
        await scene.put_item(title="Only for those who see it")
        await seeing.wait_for(1)
        # Events are queued in the write's own transaction: had the blind platform been
        # told, its log would hold the event already.
        r = await client.get(f"/v1/platforms/{other.id}/webhook-deliveries", auth=other.auth)
        assert r.json()["total"] == 0
    assert blind.received == []


async def test_no_url_queues_nothing(client: httpx.AsyncClient) -> None:
    scene = await make_platform_scene(client, None)
    await scene.put_item(title="Nobody listens")
    await _hide(scene)
    assert (await scene.deliveries())["total"] == 0


async def test_changes_coalesce_into_the_open_event(client: httpx.AsyncClient) -> None:
    # Without a secret nothing is sent: every change lands in the one open event.
    with receiving() as receiver:
        scene = await make_platform_scene(client, receiver.url, apps=3, secret=False)
        for index in (0, 1, 2, 1, 0):
            await scene.put_item(index, title=f"Change {index}")
        (pending,) = (await scene.deliveries(status="pending"))["items"]
        assert pending["payload"]["data"]["context_ids"] == scene.context_ids
        assert pending["attempts"] == []
        secret = await scene.rotate()
        (request,) = await receiver.wait_for(1)
        (delivered,) = await scene.wait_until("delivered")
    assert delivered["webhook_id"] == pending["webhook_id"] == request.webhook_id
    data = Webhook(secret).verify(request.body, request.headers)["data"]
    assert data["context_ids"] == scene.context_ids
    assert data["changed_at"] >= pending["payload"]["timestamp"]


async def test_a_burst_gives_at_most_two_deliveries_the_last_naming_every_context(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second event waits out the interval; make that longer than any burst can take,
    # then skip the wait with a manual retry once the burst is over.
    monkeypatch.setattr(session_events, "INTERVAL_US", 600_000_000)
    with receiving() as receiver:
        scene = await make_platform_scene(client, receiver.url, apps=3)
        for n in range(100):
            await scene.put_item(n % 3, position=n + 1)
        await receiver.wait_for(1)
        pending = (await scene.deliveries(status="pending"))["items"]
        assert len(pending) <= 1
        for delivery in pending:
            url = f"/v1/platforms/{scene.platform.id}/webhook-deliveries/{delivery['delivery_id']}"
            await _ok(client.post(f"{url}/retry", auth=scene.platform.auth), 202)
        await scene.wait_until("delivered", count=1 + len(pending))
    assert (await scene.deliveries())["total"] == len(receiver.received) <= 2
    assert len({r.webhook_id for r in receiver.received}) == len(receiver.received)
    last = receiver.received[-1]
    assert sorted(
        Webhook(scene.secret).verify(last.body, last.headers)["data"]["context_ids"]
    ) == sorted(scene.context_ids)


async def test_a_change_soon_after_a_delivery_waits_out_the_interval(
    client: httpx.AsyncClient,
) -> None:
    with receiving() as receiver:
        scene = await make_platform_scene(client, receiver.url)
        await scene.put_item(title="First")
        await scene.wait_until("delivered")
        await scene.put_item(title="Second")
        first, second = await receiver.wait_for(2)
    interval = session_events.INTERVAL_US / 1e6
    assert second.at - first.at >= interval * 0.8
    assert _data(second.body)["context_ids"] == [scene.context_ids[0]]


async def test_a_write_to_a_context_in_k_sessions_queues_k_events(
    client: httpx.AsyncClient,
) -> None:
    # No secret: nothing is claimed, so each session keeps one open event.
    scene = await make_platform_scene(client, None, secret=False)
    extra = [f"tv-extra-{n}" for n in range(3)]
    for session_id in extra:
        await scene.world.attach(scene.platform, session_id, scene.apps[0], scene.context_ids[0])
    await _ok(scene.set_url("https://hooks.example.com/upnext"))
    for n in range(5):
        await scene.put_item(title=f"Write {n}")
    items = (await scene.deliveries())["items"]
    sessions = sorted(d["payload"]["data"]["session_id"] for d in items)
    assert sessions == sorted([scene.session_id, *extra])
    assert all(d["payload"]["data"]["context_ids"] == [scene.context_ids[0]] for d in items)
