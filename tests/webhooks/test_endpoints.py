"""The publisher's webhook API: secret, delivery log, retry and test event (CONTRACT 7)."""

from __future__ import annotations

import json

import httpx
from standardwebhooks import Webhook

from tests.factories import ADMIN
from tests.webhooks.receiver import receiving
from tests.webhooks.scene import make_scene


async def test_secret_is_whsec_and_shown_once(client: httpx.AsyncClient) -> None:
    scene = await make_scene(client, None)
    r = await client.post(f"/v1/apps/{scene.app.id}/webhook-secret", auth=scene.app.auth)
    assert r.status_code == 200
    assert set(r.json()) == {"secret"}
    assert r.json()["secret"].startswith("whsec_")
    detail = await client.get(f"/v1/apps/{scene.app.id}", auth=scene.app.auth)
    assert scene.secret not in detail.text and r.json()["secret"] not in detail.text


async def test_only_the_apps_own_publisher(client: httpx.AsyncClient) -> None:
    mine, theirs = await make_scene(client, None), await make_scene(client, None)
    base = f"/v1/apps/{mine.app.id}"
    for method, path in [
        ("POST", f"{base}/webhook-secret"),
        ("GET", f"{base}/webhook-deliveries"),
        ("POST", f"{base}/webhook-test"),
        ("POST", f"{base}/webhook-deliveries/msg_x/retry"),
    ]:
        r = await client.request(method, path, auth=theirs.app.auth)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["code"] == "wrong_app"
        r = await client.request(method, path, auth=mine.platform.auth)
        assert r.status_code == 403, (path, r.text)
    r = await client.request("POST", f"{base}/webhook-secret")
    assert r.status_code == 401


async def test_operator_reads_any_log_but_changes_nothing(client: httpx.AsyncClient) -> None:
    scene = await make_scene(client, None)
    r = await client.get(f"/v1/apps/{scene.app.id}/webhook-deliveries", auth=ADMIN)
    assert r.status_code == 200
    r = await client.post(f"/v1/apps/{scene.app.id}/webhook-test", auth=ADMIN)
    assert r.status_code == 403
    r = await client.get("/v1/apps/AP000000000000000000/webhook-deliveries", auth=ADMIN)
    assert r.status_code == 404
    assert r.json()["code"] == "app_not_found"


async def test_log_is_newest_first_filtered_and_paged(client: httpx.AsyncClient) -> None:
    scene = await make_scene(client, None, items=3)
    for content_id in scene.content_ids:
        await scene.hide(content_id)
    log = await scene.deliveries()
    assert log["total"] == 3
    contents = [d["payload"]["data"]["content_id"] for d in log["items"]]
    assert contents == scene.content_ids[::-1]
    for delivery in log["items"]:
        assert delivery["status"] == "pending"
        assert delivery["webhook_id"] == delivery["delivery_id"]
        assert delivery["event_type"] == "item_hidden"
        assert delivery["attempts"] == []
        assert delivery["next_attempt_at"].endswith("Z")

    first = await scene.deliveries(limit=2)
    assert first["next_key"] == 2 and len(first["items"]) == 2
    rest = await scene.deliveries(limit=2, next_key=2)
    assert "next_key" not in rest
    assert [d["delivery_id"] for d in first["items"] + rest["items"]] == [
        d["delivery_id"] for d in log["items"]
    ]
    assert (await scene.deliveries(status="delivered")) == {"total": 0, "items": []}


async def test_bad_status_filter_is_400(client: httpx.AsyncClient) -> None:
    scene = await make_scene(client, None)
    r = await client.get(
        f"/v1/apps/{scene.app.id}/webhook-deliveries",
        params={"status": "lost"},
        auth=scene.app.auth,
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"


async def test_webhook_test_event(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url)
        r = await client.post(f"/v1/apps/{scene.app.id}/webhook-test", auth=scene.app.auth)
        assert r.status_code == 202
        queued = r.json()
        assert queued["event_type"] == "webhook_test"
        assert queued["status"] == "pending"
        (request,) = await receiver.wait_for(1)
    payload = Webhook(scene.secret).verify(request.body, request.headers)
    assert payload["type"] == "webhook_test"
    assert payload["data"] == {"app_id": scene.app.id}
    assert request.webhook_id == queued["webhook_id"]


async def test_retry_replays_a_failed_delivery_with_the_same_id(client: httpx.AsyncClient) -> None:
    with receiving(answers=[500] * 4) as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        (failed,) = await scene.wait_until("failed")
        path = f"/v1/apps/{scene.app.id}/webhook-deliveries/{failed['delivery_id']}/retry"
        r = await client.post(path, auth=scene.app.auth)
        assert r.status_code == 202
        assert r.json()["status"] == "pending"
        (delivered,) = await scene.wait_until("delivered")
    assert [a["status_code"] for a in delivered["attempts"]] == [500] * 4 + [200]
    assert {request.webhook_id for request in receiver.received} == {failed["webhook_id"]}


async def test_manual_retry_is_one_attempt(client: httpx.AsyncClient) -> None:
    with receiving(default=500) as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        (failed,) = await scene.wait_until("failed")
        path = f"/v1/apps/{scene.app.id}/webhook-deliveries/{failed['delivery_id']}/retry"
        assert (await client.post(path, auth=scene.app.auth)).status_code == 202
        await receiver.wait_for(5)
        (again,) = await scene.wait_until("failed")
        assert len(again["attempts"]) == 5


async def test_retry_replays_a_delivered_event(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_scene(client, receiver.url)
        await scene.hide()
        (delivered,) = await scene.wait_until("delivered")
        path = f"/v1/apps/{scene.app.id}/webhook-deliveries/{delivered['delivery_id']}/retry"
        assert (await client.post(path, auth=scene.app.auth)).status_code == 202
        first, second = await receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id
    assert json.loads(first.body) == json.loads(second.body)


async def test_retry_of_an_unknown_delivery_is_404(client: httpx.AsyncClient) -> None:
    mine, theirs = await make_scene(client, None), await make_scene(client, None)
    await theirs.hide()
    (their_delivery,) = (await theirs.deliveries())["items"]
    for delivery_id in ("msg_nope", their_delivery["delivery_id"]):
        r = await client.post(
            f"/v1/apps/{mine.app.id}/webhook-deliveries/{delivery_id}/retry", auth=mine.app.auth
        )
        assert r.status_code == 404
        assert r.json()["code"] == "delivery_not_found"


async def test_unchanged_hide_queues_nothing(client: httpx.AsyncClient) -> None:
    scene = await make_scene(client, None)
    await scene.hide()
    await scene.hide()
    assert (await scene.deliveries())["total"] == 1
