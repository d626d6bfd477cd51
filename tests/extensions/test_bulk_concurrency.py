"""Replace-all, batch and single writes racing on one context: every request succeeds."""

from __future__ import annotations

import asyncio
import random

import httpx

from tests.factories import World, make_item


async def test_concurrent_replaces_batches_and_writes_never_fail(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    await world.put_item(app, "c", content_id="seed")
    names = [f"i{n:02d}" for n in range(30)]

    def replace() -> object:
        chosen = random.sample(names, 15)
        body = {"items": [make_item(content_id=c) for c in chosen]}
        return client.put("/v1/contexts/upnext/c/items", json=body, auth=app.auth)

    def batch() -> object:
        chosen = random.sample(names, 12)
        body = {
            "upsert": [make_item(content_id=c) for c in chosen[:6]],
            "delete": chosen[6:],
        }
        return client.post("/v1/contexts/upnext/c/items:batch", json=body, auth=app.auth)

    def single() -> object:
        item = make_item(content_id=random.choice(names))
        return client.put("/v1/contexts/upnext/c", json=item, auth=app.auth)

    requests = [random.choice((replace, batch, single))() for _ in range(40)]
    answers = await asyncio.gather(*requests)  # type: ignore[call-overload]
    assert [r.status_code for r in answers] == [200] * 40, [
        r.text for r in answers if r.status_code != 200
    ]
