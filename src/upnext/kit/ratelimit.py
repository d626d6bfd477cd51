"""Per-caller rate limits: fixed windows, 429 and the IETF headers.

Headers follow draft-ietf-httpapi-ratelimit-headers: every limited response carries
``RateLimit-Policy: "default";q=<quota>;w=<window>`` and ``RateLimit: "default";r=<remaining>;
t=<seconds to reset>``; a refused one adds ``Retry-After``. Counters live in the process
(``MemoryCounter``) or, to share one quota between processes and hosts, in Redis
(``RedisCounter``). A counter that fails lets the request through: an outage of the
limiter must not become an outage of the service.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from starlette.responses import Response
from starlette.types import Scope

from upnext.kit.problems import problem_response

log = logging.getLogger("upnext.ratelimit")


@dataclass(frozen=True)
class Quota:
    limit: int
    window: int  # seconds


class Counter(Protocol):
    async def hit(self, key: str, window: int) -> tuple[int, float]:
        """Count one request of ``key``: the count in this window and seconds to its end."""
        ...

    async def close(self) -> None: ...


def _window(window: int) -> tuple[int, float]:
    now = time.time()
    index = int(now // window)
    return index, (index + 1) * window - now


class MemoryCounter:
    """Counters of this process only; stale windows are dropped as the table grows."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: dict[str, tuple[int, int]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, window: int) -> tuple[int, float]:
        index, reset = _window(window)
        seen, count = self._counts.get(key, (index, 0))
        count = count + 1 if seen == index else 1
        if len(self._counts) >= self._max_keys and key not in self._counts:
            self._counts = {k: v for k, v in self._counts.items() if v[0] == index}
        self._counts[key] = (index, count)
        return count, reset

    async def close(self) -> None:
        self._counts.clear()


class RedisCounter:
    """Counters in Redis shared by every process: one INCR per request."""

    def __init__(self, url: str, prefix: str = "ratelimit") -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = prefix

    async def hit(self, key: str, window: int) -> tuple[int, float]:
        index, reset = _window(window)
        name = f"{self._prefix}:{key}:{index}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window + 1)
            count, _ = await pipe.execute()
        return int(count), reset

    async def close(self) -> None:
        await self._redis.aclose()


def credential_or_address(scope: Scope) -> str:
    """The bucket of a request: its credentials (hashed, never kept) or else its address.

    A wrong secret gets a bucket of its own, so nobody can use up another key's quota by
    sending its key id.
    """
    authorization = dict(scope["headers"]).get(b"authorization")
    if authorization:
        return "cred:" + hashlib.sha256(authorization).hexdigest()[:32]
    client = scope.get("client")
    return f"addr:{client[0] if client else 'unknown'}"


@dataclass(frozen=True)
class Verdict:
    """The headers a limited request's answer carries, and the ``429`` if it is refused."""

    headers: list[tuple[bytes, bytes]]
    refusal: Response | None = None


class Limiter:
    """Counts requests per bucket against ``quota``: the verdict of each, for the edge
    layer (``upnext.edge``) to apply."""

    def __init__(
        self,
        *,
        counter: Counter,
        quota: Quota,
        on_limited: Callable[[], None] = lambda: None,
    ) -> None:
        self.counter = counter
        self.quota = quota
        self.on_limited = on_limited
        self.policy = f'"default";q={quota.limit};w={quota.window}'.encode()

    async def check(self, scope: Scope) -> Verdict | None:
        """The verdict on this request; None lets it through untouched (counter down)."""
        try:
            count, reset = await self.counter.hit(credential_or_address(scope), self.quota.window)
        except Exception as exc:
            log.warning("rate limiter unavailable, letting the request through: %r", exc)
            return None
        seconds = max(1, math.ceil(reset))
        remaining = max(0, self.quota.limit - count)
        headers = [
            (b"ratelimit-policy", self.policy),
            (b"ratelimit", f'"default";r={remaining};t={seconds}'.encode()),
        ]
        if count <= self.quota.limit:
            return Verdict(headers)
        self.on_limited()
        refusal = problem_response(
            429,
            "Too many requests",
            f"This key may make {self.quota.limit} requests per {self.quota.window} s; "
            f"retry in {seconds} s.",
            "rate_limited",
            headers={"Retry-After": str(seconds)},
        )
        refusal.raw_headers.extend(headers)
        return Verdict(headers, refusal)
