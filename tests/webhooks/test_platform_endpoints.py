"""The platform's webhook endpoints: URL, secret, delivery log, retry and test event."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from standardwebhooks import Webhook

from tests.factories import ADMIN, World
from tests.webhooks.receiver import receiving
from tests.webhooks.scene import make_platform_scene
from tests.webhooks.test_addresses import FORBIDDEN, _literal, serving
from upnext.settings import Settings


async def test_get_and_patch_the_webhook_url(client: httpx.AsyncClient) -> None:
    platform = await World(client).platform("Acme TV")
    r = await client.get(f"/v1/platforms/{platform.id}", auth=platform.auth)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "platform_id": platform.id,
        "name": "Acme TV",
        "created_at": r.json()["created_at"],
        "webhook_url": None,
    }
    url = "https://tv.example.com/upnext"
    r = await client.patch(
        f"/v1/platforms/{platform.id}", json={"webhook_url": url}, auth=platform.auth
    )
    assert r.status_code == 200, r.text
    assert r.json()["webhook_url"] == url
    assert (await client.get(f"/v1/platforms/{platform.id}", auth=ADMIN)).json() == r.json()
    r = await client.patch(f"/v1/platforms/{platform.id}", json={}, auth=platform.auth)
    assert r.json()["webhook_url"] == url  # an omitted field is left as it is
    r = await client.patch(
        f"/v1/platforms/{platform.id}", json={"webhook_url": None}, auth=platform.auth
    )
    assert r.json()["webhook_url"] is None


async def test_the_admin_platform_list_is_unchanged(client: httpx.AsyncClient) -> None:
    await World(client).platform()
    (listed,) = (await client.get("/v1/admin/platforms", auth=ADMIN)).json()["items"]
    assert set(listed) == {"platform_id", "name", "created_at"}


@pytest.mark.parametrize(
    "body",
    [{"webhook_url": "ftp://example.com/x"}, {"webhook_url": 5}, {"other": "x"}],
)
async def test_a_bad_patch_is_422_and_changes_nothing(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    platform = await World(client).platform()
    r = await client.patch(f"/v1/platforms/{platform.id}", json=body, auth=platform.auth)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert (await client.get(f"/v1/platforms/{platform.id}", auth=platform.auth)).json()[
        "webhook_url"
    ] is None


async def test_only_the_platforms_own_key(client: httpx.AsyncClient) -> None:
    world = World(client)
    mine, theirs = await world.platform(), await world.platform("Other")
    app = await world.app()
    base = f"/v1/platforms/{mine.id}"
    for auth in (theirs.auth, app.auth):
        for method, path in (
            ("GET", ""),
            ("PATCH", ""),
            ("POST", "/webhook-secret"),
            ("GET", "/webhook-deliveries"),
            ("POST", "/webhook-test"),
            ("POST", "/webhook-deliveries/msg_0/retry"),
        ):
            body = {"json": {"webhook_url": None}} if method == "PATCH" else {}
            r = await client.request(method, base + path, auth=auth, **body)  # type: ignore[arg-type]
            assert r.status_code == 403, (method, path, r.text)
    r = await client.get(base, auth=("KY000000000000000099", "wrong"))
    assert r.status_code == 401


async def test_the_operator_reads_but_changes_nothing(client: httpx.AsyncClient) -> None:
    platform = await World(client).platform()
    base = f"/v1/platforms/{platform.id}"
    assert (await client.get(base, auth=ADMIN)).status_code == 200
    assert (await client.get(f"{base}/webhook-deliveries", auth=ADMIN)).status_code == 200
    r = await client.patch(base, json={"webhook_url": None}, auth=ADMIN)
    assert r.status_code == 403
    assert (await client.post(f"{base}/webhook-secret", auth=ADMIN)).status_code == 403
    assert (await client.post(f"{base}/webhook-test", auth=ADMIN)).status_code == 403
    r = await client.get("/v1/platforms/PL000000000000000999", auth=ADMIN)
    assert r.status_code == 404
    assert r.json()["code"] == "platform_not_found"


async def test_secret_rotation_signs_with_both_for_a_while(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_platform_scene(client, receiver.url)
        old = scene.secret
        new = await scene.rotate()
        assert new.startswith("whsec_") and new != old
        r = await client.post(
            f"/v1/platforms/{scene.platform.id}/webhook-test", auth=scene.platform.auth
        )
        assert r.status_code == 202, r.text
        assert r.json()["event_type"] == "webhook_test"
        (request,) = await receiver.wait_for(1)
    for secret in (old, new):
        payload = Webhook(secret).verify(request.body, request.headers)
        assert payload == {
            "type": "webhook_test",
            "timestamp": payload["timestamp"],
            "data": {"platform_id": scene.platform.id},
        }
    assert len(request.headers["webhook-signature"].split(" ")) == 2


async def test_log_filter_and_retry_with_the_same_id(client: httpx.AsyncClient) -> None:
    with receiving(answers=[500, 500, 500, 500]) as receiver:
        scene = await make_platform_scene(client, receiver.url)
        await scene.put_item(title="Will fail")
        (failed,) = await scene.wait_until("failed")
        assert (await scene.deliveries(status="delivered"))["total"] == 0
        base = f"/v1/platforms/{scene.platform.id}/webhook-deliveries"
        r = await client.post(f"{base}/{failed['delivery_id']}/retry", auth=scene.platform.auth)
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "pending"
        (delivered,) = await scene.wait_until("delivered")
    assert delivered["webhook_id"] == failed["webhook_id"]
    assert {request.webhook_id for request in receiver.received} == {failed["webhook_id"]}
    assert [a.get("status_code") for a in delivered["attempts"]] == [500, 500, 500, 500, 200]
    r = await client.post(f"{base}/msg_unknown/retry", auth=scene.platform.auth)
    assert r.status_code == 404
    assert r.json()["code"] == "delivery_not_found"
    r = await client.get(base, params={"status": "lost"}, auth=scene.platform.auth)
    assert r.status_code == 400


async def test_an_apps_delivery_is_not_the_platforms(client: httpx.AsyncClient) -> None:
    with receiving() as receiver:
        scene = await make_platform_scene(client, receiver.url)
        app = scene.apps[0]
        await client.post(f"/v1/apps/{app.id}/webhook-secret", auth=app.auth)
        r = await client.post(f"/v1/apps/{app.id}/webhook-test", auth=app.auth)
        delivery_id = r.json()["delivery_id"]
        url = f"/v1/platforms/{scene.platform.id}/webhook-deliveries/{delivery_id}/retry"
        r = await client.post(url, auth=scene.platform.auth)
    assert r.status_code == 404
    assert (await scene.deliveries())["total"] == 0


async def test_a_410_disables_the_platforms_endpoint_until_set_again(
    client: httpx.AsyncClient,
) -> None:
    with receiving(answers=[410]) as receiver:
        scene = await make_platform_scene(client, receiver.url)
        await scene.put_item(title="Gone")
        await scene.wait_until("failed")
        r = await client.post(
            f"/v1/platforms/{scene.platform.id}/webhook-test", auth=scene.platform.auth
        )
        waiting = r.json()
        assert (await scene.deliveries(status="pending"))["total"] == 1
        await scene.set_url(receiver.url)  # re-enables it
        (delivered,) = await scene.wait_until("delivered")
    assert delivered["delivery_id"] == waiting["delivery_id"]
    assert len(receiver.received) == 2


@pytest.fixture
async def strict(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app as deployed: UPNEXT_WEBHOOK_ALLOW_PRIVATE unset."""
    async with serving(settings, webhook_allow_private=False) as client:
        yield client


@pytest.mark.parametrize("address", [a for a in FORBIDDEN if ":" not in a])
async def test_the_ssrf_guard_refuses_private_addresses(
    strict: httpx.AsyncClient, address: str
) -> None:
    scene = await make_platform_scene(strict, None)
    r = await scene.set_url(_literal(address))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "webhook_url_refused"
    assert FORBIDDEN[address] in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "webhook_url"
    r = await strict.get(f"/v1/platforms/{scene.platform.id}", auth=scene.platform.auth)
    assert r.json()["webhook_url"] is None


async def test_the_ssrf_guard_checks_again_at_delivery(settings: Settings) -> None:
    with receiving() as receiver:
        async with serving(settings) as permissive:
            scene = await make_platform_scene(permissive, receiver.url)
        async with serving(settings, webhook_allow_private=False) as client:
            scene.client = client
            scene.world.client = client
            await scene.put_item(title="Never arrives")
            (delivery,) = await scene.wait_until("failed")
    assert receiver.received == []
    assert all("loopback" in a["error"] for a in delivery["attempts"])
