"""Several processes on one database behave as one service (CONTRACT 9): two ``upnext
serve`` processes and an ``upnext worker``, concurrent writers and hides through both
servers; nothing is lost, nothing is doubled, every event is delivered once."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import httpx
import pytest

from tests import servers
from tests.factories import ADMIN_KEY_ID, ADMIN_SECRET, make_item
from tests.webhooks.receiver import receiving
from tests.webhooks.scene import Scene, make_scene

pytestmark = pytest.mark.slow

WRITERS, WRITES, HIDES = 4, 25, 20


def _env(database_url: str) -> dict[str, str]:
    return {
        "UPNEXT_DATABASE_URL": database_url,
        "UPNEXT_ADMIN_KEY": f"{ADMIN_KEY_ID}:{ADMIN_SECRET}",
        "UPNEXT_WEBHOOK_ALLOW_PRIVATE": "1",
        "UPNEXT_WEBHOOK_RETRY_SCHEDULE": "0.2,0.2,0.2",
        "UPNEXT_LOG_LEVEL": "warning",
    }


async def _writer(scenes: list[Scene], number: int) -> None:
    for n in range(WRITES):
        scene = scenes[n % 2]  # alternate between the two servers
        for content_id in (f"w{number}-{n}", "shared"):  # "shared": every writer upserts it
            r = await scene.client.put(
                f"/v1/contexts/upnext/{scene.context_id}",
                json=make_item(content_id=content_id),
                auth=scene.app.auth,
            )
            assert r.status_code == 200, r.text


async def _all_items(scene: Scene) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    next_key: int | None = 0
    while next_key is not None:
        r = await scene.client.get(
            f"/v1/contexts/upnext/{scene.context_id}",
            params={"limit": 200, "next_key": next_key},
            auth=scene.app.auth,
        )
        assert r.status_code == 200, r.text
        found += r.json()["items"]
        next_key = r.json().get("next_key")
    return found


async def test_two_servers_and_a_worker_lose_and_double_nothing(database_url: str) -> None:
    env = _env(database_url)
    with (
        receiving() as receiver,
        servers.running(env) as first,
        servers.running(env) as second,
        servers.running(env, command=("worker",)) as worker,
    ):
        async with (
            httpx.AsyncClient(base_url=first.base_url, timeout=30) as one,
            httpx.AsyncClient(base_url=second.base_url, timeout=30) as two,
        ):
            scene = await make_scene(one, receiver.url, items=HIDES)
            scenes = [scene, dataclasses.replace(scene, client=two)]
            await asyncio.gather(
                *(_writer(scenes, number) for number in range(WRITERS)),
                *(scenes[n % 2].hide(c) for n, c in enumerate(scene.content_ids)),
                *(scenes[n % 2].hide(c) for n, c in enumerate(scene.content_ids)),  # again
            )
            await receiver.wait_for(HIDES, within=60)
            await asyncio.sleep(1)  # time for a duplicate to show up, if there were one
            seen = [await _all_items(s) for s in scenes]
        outputs = first.stdout() + second.stdout() + worker.stdout()
        assert "Traceback" not in outputs, outputs

    expected = {*scene.content_ids, "shared"} | {
        f"w{w}-{n}" for w in range(WRITERS) for n in range(WRITES)
    }
    for items in seen:  # both servers read the same, complete list
        ids = [item["content_id"] for item in items]
        assert len(ids) == len(set(ids)) == len(expected)
        assert set(ids) == expected
        hidden = {item["content_id"] for item in items if item["hidden"]}
        assert hidden == set(scene.content_ids)
    # Hiding twice changes the item once: one event per item, each delivered once.
    webhook_ids = [request.webhook_id for request in receiver.received]
    assert len(webhook_ids) == len(set(webhook_ids)) == HIDES
    hidden_events = {json.loads(r.body)["data"]["content_id"] for r in receiver.received}
    assert hidden_events == set(scene.content_ids)


def _count(metrics: str, route: str) -> float:
    prefix = f'upnext_http_requests_total{{method="GET",route="{route}",status="200"}} '
    return sum(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(prefix))


def test_serve_with_workers_answers_as_one_and_adds_up_metrics(database_url: str) -> None:
    with servers.running(_env(database_url), command=("serve", "--workers", "2")) as server:
        for _ in range(30):  # a connection each, so that both workers take some
            assert httpx.get(f"{server.base_url}/readyz").status_code == 200
        # Whichever worker answers the scrape, it reports the requests of both.
        metrics = httpx.get(f"{server.base_url}/metrics").text
        assert _count(metrics, "/readyz") >= 30
        assert "Traceback" not in server.stdout()
