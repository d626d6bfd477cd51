"""What the sync and async clients share: settings from arguments or the environment, the
retry policy, and list iteration that follows ``next_key``."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from upnext import __version__
from upnext.client._calls import Call
from upnext.client._exceptions import APIConnectionError, APITimeoutError, UpNextError
from upnext.client._models import Page

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
RETRY_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class Retry:
    """Exponential back-off with jitter; a server's ``Retry-After`` wins when it is sane."""

    max_retries: int = DEFAULT_MAX_RETRIES
    initial: float = 0.5
    maximum: float = 8.0

    def delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            retry_after = response.headers.get("retry-after", "")
            try:
                seconds = float(retry_after)
            except ValueError:
                seconds = -1.0
            if 0 <= seconds <= MAX_RETRY_AFTER:
                return seconds
        backoff = min(self.maximum, self.initial * 2.0**attempt)
        jitter: float = 0.75 + random.random() / 2
        return backoff * jitter

    def wait_before_retry(
        self,
        call: Call[Any],
        attempt: int,
        response: httpx.Response | None = None,
        error: Exception | None = None,
    ) -> float | None:
        """Seconds to wait before trying ``call`` again, or None to give up now."""
        # Every call is safe to repeat: GET/PUT/DELETE by nature, POST/PATCH through the
        # Idempotency-Key they carry (Call.headers_for_attempts).
        if attempt >= self.max_retries:
            return None
        if error is not None and isinstance(error, httpx.TransportError):
            return self.delay(attempt, None)
        if response is not None and response.status_code in RETRY_STATUSES:
            return self.delay(attempt, response)
        if response is not None and response.status_code == 409 and _in_flight(response):
            return self.delay(attempt, response)  # the first attempt is still running
        return None


def _in_flight(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("code") == "idempotency_in_flight"


def transport_error(error: httpx.TransportError) -> UpNextError:
    request = error.request if _has_request(error) else None
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"timed out: {error}", request=request)
    return APIConnectionError(f"connection failed: {error}", request=request)


def _has_request(error: httpx.TransportError) -> bool:
    try:
        error.request  # noqa: B018 - httpx raises RuntimeError when no request is set
    except RuntimeError:
        return False
    return True


def credentials(key: str | None, key_id: str | None, secret: str | None) -> tuple[str, str] | None:
    """HTTP Basic credentials from ``key_id:secret``, the two halves, or ``UPNEXT_KEY``."""
    if key_id is not None and secret is not None:
        return key_id, secret
    key = key or os.environ.get("UPNEXT_KEY")
    if not key:
        return None
    key_id, sep, secret = key.partition(":")
    if not sep or not key_id or not secret:
        raise ValueError("an UpNext key is written key_id:secret")
    return key_id, secret


def base_url(url: str | None) -> str:
    return (url or os.environ.get("UPNEXT_URL") or "http://127.0.0.1:8000").rstrip("/")


def client_options(
    url: str | None,
    key: str | None,
    key_id: str | None,
    secret: str | None,
    timeout: float | httpx.Timeout,
) -> dict[str, Any]:
    """Keyword arguments for ``httpx.Client``/``httpx.AsyncClient``."""
    return {
        "base_url": base_url(url),
        "auth": credentials(key, key_id, secret),
        "timeout": timeout,
        "headers": {"User-Agent": f"upnext-python/{__version__}"},
    }


def request_options(call: Call[Any]) -> dict[str, Any]:
    """What ``httpx`` sends, the same for every attempt (one Idempotency-Key)."""
    return {
        "json": call.json,
        "params": call.params,
        "content": call.content,
        "headers": call.headers_for_attempts(),
    }


def iterate(fetch: Callable[[int], Page[T]]) -> Iterator[T]:
    """Every entry of a list, one page at a time, following ``next_key``."""
    next_key: int | None = 0
    while next_key is not None:
        page = fetch(next_key)
        yield from page.items
        # A next_key that does not move forward would loop forever; stop instead.
        next_key = page.next_key if page.next_key is not None and page.next_key > next_key else None


async def aiterate(fetch: Callable[[int], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """``iterate`` for the async client."""
    next_key: int | None = 0
    while next_key is not None:
        page = await fetch(next_key)
        for item in page.items:
            yield item
        next_key = page.next_key if page.next_key is not None and page.next_key > next_key else None
