"""Real ``upnext`` processes: nothing lost to SIGKILL, nothing sent twice by two servers
(item events to apps and coalesced session events to platforms)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import Row, create_engine, select
from standardwebhooks import Webhook

from tests import servers
from tests.factories import ADMIN_KEY_ID, ADMIN_SECRET, World
from tests.webhooks.receiver import Receiver, receiving
from tests.webhooks.scene import PlatformScene, make_platform_scene, make_scene
from upnext.db.engine import sync_url
from upnext.db.tables import webhook_deliveries

pytestmark = pytest.mark.slow


def _env(database_url: str, schedule: str = "0.2,0.2,0.2") -> dict[str, str]:
    return {
        "UPNEXT_DATABASE_URL": database_url,
        "UPNEXT_ADMIN_KEY": f"{ADMIN_KEY_ID}:{ADMIN_SECRET}",
        "UPNEXT_WEBHOOK_ALLOW_PRIVATE": "1",
        "UPNEXT_WEBHOOK_RETRY_SCHEDULE": schedule,
        "UPNEXT_LOG_LEVEL": "warning",
    }


@pytest.mark.parametrize("restart", [("serve",), ("worker",)], ids=["serve", "worker"])
async def test_event_of_an_acknowledged_hide_survives_sigkill(
    database_url: str, restart: tuple[str, ...]
) -> None:
    # The receiver refuses everything while the first process runs, so that process cannot
    # have delivered the event before it was killed: only the stored row can carry it over.
    env = _env(database_url, schedule=",".join(["1"] * 30))
    with receiving(default=503) as receiver:
        server = servers.start(env)
        try:
            async with httpx.AsyncClient(base_url=server.base_url) as client:
                scene = await make_scene(client, receiver.url)
                await scene.hide()  # 200: acknowledged
        finally:
            server.kill()
            server.log.unlink(missing_ok=True)
        refused = len(receiver.received)
        receiver.default = 200
        with servers.running(env, command=restart):
            requests = await receiver.wait_for(refused + 1, within=60)
    request = requests[-1]
    payload = Webhook(scene.secret).verify(request.body, request.headers)
    assert payload["type"] == "item_hidden"
    assert payload["data"]["content_id"] == scene.content_ids[0]
    assert {r.webhook_id for r in requests} == {request.webhook_id}


async def test_an_attempt_cut_short_by_sigkill_is_sent_within_20_s_of_a_restart(
    database_url: str,
) -> None:
    # The receiver holds the first attempt open, so the server is killed in the middle of
    # it, holding its lease. The restarted server must not wait long for that lease.
    env = _env(database_url)
    with receiving() as receiver:
        receiver.hold()
        server = servers.start(env)
        try:
            async with httpx.AsyncClient(base_url=server.base_url) as client:
                scene = await make_scene(client, receiver.url)
                await scene.hide()
                await receiver.wait_for(1)  # in flight: the request is open
        finally:
            server.kill()
            server.log.unlink(missing_ok=True)
        receiver.release()
        restarted_at = time.monotonic()
        with servers.running(env) as restarted:
            # Waits on the condition, with the deadline measured from the restart.
            first, second = await receiver.wait_for(2, within=restarted_at + 20 - time.monotonic())
            recovery = second.at - restarted_at
            async with httpx.AsyncClient(base_url=restarted.base_url) as client:
                scene = dataclasses.replace(scene, client=client)
                (delivery,) = await scene.wait_until("delivered")
            assert "Traceback" not in restarted.stdout()
    print(f"sent again {recovery:.1f} s after the restart began")
    assert recovery < 20
    assert first.webhook_id == second.webhook_id == delivery["webhook_id"]
    # The killed attempt recorded nothing: one attempt, the restarted server's.
    assert [a["status_code"] for a in delivery["attempts"]] == [200]
    assert len(receiver.received) == 2


async def test_two_servers_deliver_every_event_exactly_once(database_url: str) -> None:
    events = 40
    env = _env(database_url)
    with (
        receiving() as receiver,
        servers.running(env) as first,
        servers.running(env) as second,
    ):
        async with (
            httpx.AsyncClient(base_url=first.base_url) as one,
            httpx.AsyncClient(base_url=second.base_url) as two,
        ):
            scene = await make_scene(one, receiver.url, items=events)
            other = dataclasses.replace(scene, client=two)
            await asyncio.gather(
                *(
                    (scene if n % 2 else other).hide(content_id)
                    for n, content_id in enumerate(scene.content_ids)
                )
            )
            await receiver.wait_for(events, within=60)
            delivered = await scene.wait_until("delivered", count=events, within=30)
            await asyncio.sleep(1)  # time for a duplicate to show up, if there were one
        assert "Traceback" not in first.stdout() + second.stdout()

    ids = [request.webhook_id for request in receiver.received]
    assert len(ids) == events
    assert len(set(ids)) == events
    hidden = {json.loads(request.body)["data"]["content_id"] for request in receiver.received}
    assert hidden == set(scene.content_ids)
    assert all(len(delivery["attempts"]) == 1 for delivery in delivered)


async def test_sigterm_lets_an_attempt_in_flight_finish(database_url: str) -> None:
    with receiving(delay=2) as receiver:
        with servers.running(_env(database_url)) as server:
            async with httpx.AsyncClient(base_url=server.base_url) as client:
                scene = await make_scene(client, receiver.url)
                await scene.hide()
            await receiver.wait_for(1)  # the attempt is waiting for the receiver's answer
            server.terminate()  # graceful; uvicorn then re-raises SIGTERM (exit -15)
            assert "Traceback" not in server.stdout()
        row = await asyncio.to_thread(_delivery_of, database_url, scene.app.id)
    assert row.status == "delivered"
    assert row.claimed_until is None
    assert row.attempt_count == 1


def _delivery_of(database_url: str, app_id: str) -> Row[Any]:
    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        deliveries = webhook_deliveries
        (row,) = conn.execute(select(deliveries).where(deliveries.c.app_id == app_id)).all()
    engine.dispose()
    return row


async def test_two_servers_send_each_session_event_once(database_url: str) -> None:
    # Writes through both servers to contexts shown in several sessions: the servers race
    # to coalesce into, and to claim, the same open events.
    env = _env(database_url)
    with (
        receiving() as receiver,
        servers.running(env) as first,
        servers.running(env) as second,
    ):
        async with (
            httpx.AsyncClient(base_url=first.base_url) as one,
            httpx.AsyncClient(base_url=second.base_url) as two,
        ):
            scene = await make_platform_scene(one, None, apps=3)
            sessions = [scene.session_id, "tv-b", "tv-c"]
            for session_id in sessions[1:]:
                for app, context_id in zip(scene.apps, scene.context_ids, strict=True):
                    await scene.world.attach(scene.platform, session_id, app, context_id)
            r = await scene.set_url(receiver.url)
            assert r.status_code == 200, r.text
            other = dataclasses.replace(scene, client=two, world=World(two))
            await asyncio.gather(
                *((scene if n % 2 else other).put_item(n % 3, position=n + 1) for n in range(60))
            )
            await _until_all_delivered(scene, receiver)
            await asyncio.sleep(1)  # time for a duplicate to show up, if there were one
            deliveries = (await scene.deliveries(limit=200))["items"]
        assert "Traceback" not in first.stdout() + second.stdout()

    ids = [request.webhook_id for request in receiver.received]
    assert len(ids) == len(set(ids)) == len(deliveries)
    assert all(len(delivery["attempts"]) == 1 for delivery in deliveries)
    heard: dict[str, set[str]] = {session_id: set() for session_id in sessions}
    for request in receiver.received:
        data = Webhook(scene.secret).verify(request.body, request.headers)["data"]
        heard[data["session_id"]].update(data["context_ids"])
    assert heard == {session_id: set(scene.context_ids) for session_id in sessions}


async def _until_all_delivered(scene: PlatformScene, receiver: Receiver) -> None:
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        log = await scene.deliveries(limit=200)
        done = log["total"] > 0 and all(d["status"] == "delivered" for d in log["items"])
        if done and len(receiver.received) >= log["total"]:
            return
        assert asyncio.get_running_loop().time() < deadline, log
        await asyncio.sleep(0.1)
