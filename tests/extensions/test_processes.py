"""Two ``upnext serve`` processes on one database honour one Idempotency-Key and keep the
newest event_time, because both live in the database, not in a process."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from tests import servers
from tests.factories import ADMIN, ADMIN_KEY_ID, ADMIN_SECRET, make_item

pytestmark = pytest.mark.slow


def _env(database_url: str) -> dict[str, str]:
    return {
        "UPNEXT_DATABASE_URL": database_url,
        "UPNEXT_ADMIN_KEY": f"{ADMIN_KEY_ID}:{ADMIN_SECRET}",
        "UPNEXT_LOG_LEVEL": "warning",
    }


async def _publisher(client: httpx.AsyncClient) -> tuple[str, str]:
    r = await client.post("/v1/admin/apps", json={"name": "Flix"}, auth=ADMIN)
    r = await client.post(f"/v1/admin/apps/{r.json()['app_id']}/keys", auth=ADMIN)
    return r.json()["key_id"], r.json()["secret"]


async def test_two_servers_share_idempotency_keys_and_event_time(database_url: str) -> None:
    with servers.running(_env(database_url)) as one, servers.running(_env(database_url)) as two:
        async with (
            httpx.AsyncClient(base_url=one.base_url, timeout=30) as first,
            httpx.AsyncClient(base_url=two.base_url, timeout=30) as second,
        ):
            auth = await _publisher(first)
            headers = {"Idempotency-Key": "mint-once"}
            minted = await first.post("/v1/contexts/upnext", auth=auth, headers=headers)
            again = await second.post("/v1/contexts/upnext", auth=auth, headers=headers)
            assert minted.status_code == again.status_code == 201
            assert again.json() == minted.json()
            assert again.headers["Idempotent-Replayed"] == "true"

            context = minted.json()["context_id"]
            seconds = random.sample(range(1000), 30)

            async def write(n: int, second_of_day: int) -> int:
                client = (first, second)[n % 2]
                moment = f"2026-01-10T10:{second_of_day // 60:02d}:{second_of_day % 60:02d}Z"
                item = make_item(content_id="ep", position=second_of_day, event_time=moment)
                r = await client.put(f"/v1/contexts/upnext/{context}", json=item, auth=auth)
                return r.status_code

            statuses = await asyncio.gather(*(write(n, s) for n, s in enumerate(seconds)))
            assert statuses == [200] * len(seconds)
            r = await second.get(f"/v1/contexts/upnext/{context}", auth=auth)
            [item] = r.json()["items"]
            assert item["position"] == max(seconds)
