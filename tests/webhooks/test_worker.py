"""The delivery worker inside the app, against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, update
from standardwebhooks import Webhook, WebhookVerificationError

from tests.webhooks.receiver import receiving
from tests.webhooks.scene import Scene, make_scene
from upnext.db.engine import sync_url
from upnext.db.tables import webhook_secrets
from upnext.kit.timestamps import now_us
from upnext.webhooks import worker

DEFAULT_POLL = worker.POLL_SECONDS


def _ms(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000


async def test_item_hidden_arrives_signed(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        (request,) = await receiver.wait_for(1)

    payload = Webhook(scene.secret).verify(request.body, request.headers)
    assert payload["type"] == "item_hidden"
    assert payload["timestamp"].endswith("Z")
    assert payload["data"] == {
        "app_id": scene.app.id,
        "context_id": scene.context_id,
        "content_id": scene.content_ids[0],
        "platform_id": scene.platform.id,
        "session_id": scene.session_id,
        "hidden": True,
    }
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert request.webhook_id.startswith("msg_")
    assert request.headers["webhook-signature"].startswith("v1,")
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(request.body, request.headers)


async def test_item_unhidden_follows(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        await scene.hide(action="unhide")
        requests = await receiver.wait_for(2)
    events = sorted(json.loads(r.body)["type"] for r in requests)
    assert events == ["item_hidden", "item_unhidden"]
    assert {json.loads(r.body)["data"]["hidden"] for r in requests} == {True, False}


async def test_two_failures_then_success_is_three_attempts_of_one_message(
    client: httpx.AsyncClient,
) -> None:
    with receiving(answers=[500, 503]) as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        requests = await receiver.wait_for(3)
        (delivery,) = await scene.wait_until("delivered")

    assert len({r.webhook_id for r in requests}) == 1
    assert delivery["webhook_id"] == requests[0].webhook_id
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    assert all("latency_ms" in a and "attempted_at" in a for a in delivery["attempts"])
    assert "next_attempt_at" not in delivery
    assert len(receiver.received) == 3
    for request in requests:  # each attempt is signed afresh, and verifies
        Webhook(scene.secret).verify(request.body, request.headers)


async def test_exhausted_schedule_is_failed_and_kept(client: httpx.AsyncClient) -> None:
    with receiving(default=500) as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        (delivery,) = await scene.wait_until("failed")
    # The tests' schedule "0.2,0.2,0.2": the first attempt and three retries.
    assert [a["status_code"] for a in delivery["attempts"]] == [500] * 4
    assert len(receiver.received) == 4


async def test_retry_after_is_honoured(client: httpx.AsyncClient) -> None:
    with receiving(answers=[(429, {"Retry-After": "2"})]) as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        first, second = await receiver.wait_for(2)
        (delivery,) = await scene.wait_until("delivered")
    # The schedule says 0.2 s; the receiver asked for 2 s.
    assert second.at - first.at >= 1.9
    assert [a["status_code"] for a in delivery["attempts"]] == [429, 200]


async def test_redirect_is_a_failure_not_followed(client: httpx.AsyncClient) -> None:
    with receiving() as elsewhere, receiving(default=0) as receiver:
        receiver.answers = [(302, {"Location": elsewhere.url})] * 4
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        (delivery,) = await scene.wait_until("failed")
    assert elsewhere.received == []
    assert [a["status_code"] for a in delivery["attempts"]] == [302] * 4
    assert delivery["attempts"][0]["error"] == "redirects are not followed"


async def test_410_disables_the_endpoint_until_its_url_is_set_again(
    client: httpx.AsyncClient,
) -> None:
    with receiving(answers=[410]) as receiver:
        scene = await make_scene(client, receiver.url, items=2)
        await scene.hide(scene.content_ids[0])
        (gone,) = await scene.wait_until("failed")
        assert [a["status_code"] for a in gone["attempts"]] == [410]

        await scene.hide(scene.content_ids[1])  # held: the endpoint is disabled
        (held,) = (await scene.deliveries(status="pending"))["items"]
        assert held["attempts"] == []

        assert (await scene.set_url(receiver.url)).status_code == 200
        await scene.wait_until("delivered")
        assert len(receiver.received) == 2


async def _parked(scene: Scene) -> dict[str, Any]:
    """The scene's one pending delivery, once a worker has parked it (no next attempt)."""
    for _ in range(100):
        (held,) = (await scene.deliveries(status="pending"))["items"]
        if "next_attempt_at" not in held:
            return held
        await asyncio.sleep(0.05)
    raise AssertionError(f"not parked: {held}")


async def test_events_wait_for_an_endpoint(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, None)
        await scene.hide()
        held = await _parked(scene)
        assert held["attempts"] == []

        assert (await scene.set_url(receiver.url)).status_code == 200
        (request,) = await receiver.wait_for(1)
        (delivered,) = await scene.wait_until("delivered")
    assert request.webhook_id == held["webhook_id"] == delivered["webhook_id"]


async def test_events_wait_for_a_secret(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url, secret=False)
        await scene.hide()
        held = await _parked(scene)
        secret = await scene.rotate()
        (request,) = await receiver.wait_for(1)
    assert request.webhook_id == held["webhook_id"]
    Webhook(secret).verify(request.body, request.headers)


async def test_unreachable_endpoint_records_the_error(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        url = receiver.url
    scene = await make_scene(client, url)  # nothing listens there any more
    await scene.hide()
    (delivery,) = await scene.wait_until("failed")
    assert len(delivery["attempts"]) == 4
    assert all("status_code" not in a and a["error"] for a in delivery["attempts"])


async def test_rotation_signs_with_both_secrets_until_the_old_one_expires(
    client: httpx.AsyncClient, database_url: str
) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url, items=2)
        old = scene.secret
        new = await scene.rotate()
        await scene.hide(scene.content_ids[0])
        (during,) = await receiver.wait_for(1)
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        Webhook(old).verify(during.body, during.headers)
        Webhook(new).verify(during.body, during.headers)

        # In a thread: the app's worker, on this event loop, may hold the SQLite write lock.
        await asyncio.to_thread(_expire_rotated_secrets, database_url)  # the overlap is over
        await scene.hide(scene.content_ids[1])
        _, after = await receiver.wait_for(2)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


def _expire_rotated_secrets(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    with engine.begin() as conn:
        conn.execute(
            update(webhook_secrets)
            .where(webhook_secrets.c.expires_at.is_not(None))
            .values(expires_at=now_us() - 1)
        )
    engine.dispose()


async def test_slow_endpoint_does_not_stall_another_apps_deliveries(
    client: httpx.AsyncClient,
) -> None:
    with receiving(delay=1.5) as slow, receiving() as fast:
        stalled = await make_scene(client, slow.url, items=10)
        for content_id in stalled.content_ids:
            await stalled.hide(content_id)
        await slow.wait_for(1)
        quick = await make_scene(client, fast.url)
        await quick.hide()
        await fast.wait_for(1)
        assert slow.answered < 10  # the fast one did not queue behind the slow backlog
        await stalled.wait_until("delivered", count=10, within=30)
    # At most four attempts at once to one endpoint (MAX_PER_ENDPOINT).
    assert slow.max_in_flight <= 4


async def test_delivery_latency_is_recorded_in_ms(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        (delivery,) = await scene.wait_until("delivered")
    (attempt,) = delivery["attempts"]
    assert isinstance(attempt["latency_ms"], int) and attempt["latency_ms"] >= 0
    assert _ms(attempt["attempted_at"]) >= _ms(delivery["created_at"])


async def test_an_unexpected_error_is_logged_as_an_attempt(
    client: httpx.AsyncClient, database_url: str
) -> None:
    # A secret that cannot sign (corrupted in the database) makes every attempt raise:
    # the delivery still follows its schedule to failed, with the errors in its log.
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url)
        await asyncio.to_thread(_corrupt_secrets, database_url)
        await scene.hide()
        (delivery,) = await scene.wait_until("failed")
    assert receiver.received == []
    assert len(delivery["attempts"]) == 4
    assert all(a["error"].startswith("internal error:") for a in delivery["attempts"])


def _corrupt_secrets(database_url: str) -> None:
    engine = create_engine(sync_url(database_url))
    with engine.begin() as conn:
        conn.execute(update(webhook_secrets).values(secret="whsec_"))
    engine.dispose()


async def test_parked_events_of_many_apps_all_arrive_when_their_urls_are_set_at_once(
    client: httpx.AsyncClient,
) -> None:
    # Regression: parking raced with un-parking on PostgreSQL and kept some apps' events
    # parked for good although their URLs were set.
    with receiving() as receiver:
        scenes = [await make_scene(client, None, items=3) for _ in range(8)]
        for scene in scenes:
            for content_id in scene.content_ids:
                await scene.hide(content_id)
        for scene in scenes:
            await _parked_all(scene)
        responses = await asyncio.gather(*(scene.set_url(receiver.url) for scene in scenes))
        assert all(r.status_code == 200 for r in responses)
        await receiver.wait_for(24, within=30)


async def _parked_all(scene: Scene) -> None:
    for _ in range(100):
        items = (await scene.deliveries(status="pending"))["items"]
        if all("next_attempt_at" not in d for d in items):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not parked")


async def test_an_event_wakes_the_worker_of_its_process_when_it_commits(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url)
        monkeypatch.setattr(worker, "POLL_SECONDS", 3600.0)  # polling alone would not find it
        await asyncio.sleep(2 * DEFAULT_POLL)  # the wait in progress ends; the next is an hour
        await scene.hide()
        (request,) = await receiver.wait_for(1)
    assert json.loads(request.body)["type"] == "item_hidden"
