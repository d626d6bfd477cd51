"""Per-key rate limits: 429, Retry-After and the IETF RateLimit headers, in-process or Redis."""

from __future__ import annotations

import contextlib
import re
import secrets

import httpx
import pytest

from tests.factories import ADMIN, World
from upnext.app import create_app
from upnext.kit.ratelimit import MemoryCounter, RedisCounter
from upnext.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"rate_limit_per_minute": 5})


async def test_over_the_quota_is_429_with_retry_after(
    client: httpx.AsyncClient, world: World
) -> None:
    app = await world.app()
    statuses = []
    for _ in range(5):
        r = await client.get(f"/v1/apps/{app.id}", auth=app.auth)
        statuses.append(r.status_code)
        assert r.headers["RateLimit-Policy"] == '"default";q=5;w=60'
    assert statuses == [200] * 5
    r = await client.get(f"/v1/apps/{app.id}", auth=app.auth)
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "rate_limited"
    retry_after = int(r.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    match = re.fullmatch(r'"default";r=(\d+);t=(\d+)', r.headers["RateLimit"])
    assert match and match.group(1) == "0" and int(match.group(2)) == retry_after


async def test_quotas_are_per_key_and_spare_health_checks(
    client: httpx.AsyncClient, world: World
) -> None:
    one, other = await world.app("One"), await world.app("Two")
    for _ in range(5):
        await client.get(f"/v1/apps/{one.id}", auth=one.auth)
    assert (await client.get(f"/v1/apps/{one.id}", auth=one.auth)).status_code == 429
    assert (await client.get(f"/v1/apps/{other.id}", auth=other.auth)).status_code == 200
    assert (await client.get("/healthz")).status_code == 200
    # A wrong secret for a key id does not spend that key's quota.
    wrong = (other.key_id, "not-the-secret")
    for _ in range(6):
        await client.get(f"/v1/apps/{other.id}", auth=wrong)
    assert (await client.get(f"/v1/apps/{other.id}", auth=other.auth)).status_code == 200


async def test_remaining_counts_down(client: httpx.AsyncClient) -> None:
    seen = []
    for _ in range(3):
        r = await client.get("/v1/admin/apps", auth=ADMIN)
        seen.append(r.headers["RateLimit"].split(";")[1])
    assert seen == ["r=4", "r=3", "r=2"]


async def test_redis_shares_one_quota_between_processes(settings: Settings) -> None:
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            application = create_app(shared)
            await stack.enter_async_context(application.router.lifespan_context(application))
            transport = httpx.ASGITransport(app=application)
            client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            clients.append(await stack.enter_async_context(client))
        auth = (f"KY{secrets.randbelow(10**18):018d}", "x" * 20)  # a bucket of its own
        statuses = [
            (await clients[n % 2].get("/v1/admin/apps", auth=auth)).status_code for n in range(6)
        ]
        assert statuses == [401] * 5 + [429]


async def test_counters_count_within_a_window() -> None:
    for counter in (MemoryCounter(), RedisCounter(REDIS_URL, prefix=secrets.token_hex(4))):
        counts = [(await counter.hit("k", 60))[0] for _ in range(3)]
        assert counts == [1, 2, 3]
        count, reset = await counter.hit("other", 60)
        assert count == 1 and 0 < reset <= 60
        if isinstance(counter, RedisCounter):
            await counter.close()


async def test_an_unreachable_redis_lets_requests_through(settings: Settings) -> None:
    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    application = create_app(broken)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for _ in range(7):
                assert (await client.get("/v1/admin/apps", auth=ADMIN)).status_code == 200
