"""One HTTP attempt: POST the signed body to the checked address, bounded in time and size."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from upnext import __version__
from upnext.webhooks import addresses
from upnext.webhooks.retries import Outcome, parse_retry_after

TIMEOUT = 15.0  # seconds for the whole attempt: connect, send, answer
MAX_RESPONSE_BYTES = 4096  # read this much of an answer, then hang up; never stored
USER_AGENT = f"UpNext-Webhooks/{__version__}"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    latency_ms: int | None


def new_client() -> httpx.AsyncClient:
    """The worker's HTTP client: no redirects, no proxies from the environment, and no
    connection reuse (a pooled connection is keyed by IP, and two hosts sharing an IP must
    not share a TLS session verified for only one of them)."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(TIMEOUT),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
    )


async def post(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: str,
    *,
    allow_private: bool,
) -> Attempt:
    """Deliver once; every failure becomes an ``Outcome``, never an exception."""
    try:
        target = await addresses.check(url, allow_private=allow_private)
    except addresses.UnsafeAddress as error:
        return Attempt(Outcome(error=f"refused: {error}"[:500]), None)
    request = _request(client, url, target, headers, body)
    started = time.monotonic()
    try:
        async with asyncio.timeout(TIMEOUT):
            response = await client.send(request, stream=True)
            try:
                await _drain(response)
            finally:
                await response.aclose()
    except TimeoutError:
        return Attempt(Outcome(error=f"no answer within {TIMEOUT:g} s"), _ms(started))
    except httpx.HTTPError as error:
        reason = str(error) or type(error).__name__
        return Attempt(Outcome(error=f"{type(error).__name__}: {reason}"[:500]), _ms(started))
    return Attempt(_judge_response(response), _ms(started))


def _request(
    client: httpx.AsyncClient,
    url: str,
    target: addresses.Target,
    headers: dict[str, str],
    body: str,
) -> httpx.Request:
    # Connect to the address that passed the check rather than resolving again (a second
    # lookup could answer differently: DNS rebinding). Host and TLS SNI keep the name, so
    # virtual hosting and certificate verification work as if we had used the URL.
    original = httpx.URL(url)
    request = client.build_request(
        "POST",
        original.copy_with(host=str(target.address)),
        content=body.encode(),
        headers={
            **headers,
            "Host": original.netloc.decode("ascii").rpartition("@")[2],
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        },
    )
    if target.scheme == "https":
        request.extensions["sni_hostname"] = target.host
    return request


async def _drain(response: httpx.Response) -> None:
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= MAX_RESPONSE_BYTES:
            break


def _judge_response(response: httpx.Response) -> Outcome:
    code = response.status_code
    error = None
    if 300 <= code < 400:
        error = "redirects are not followed"
    elif code == 410:
        error = "410 Gone: endpoint disabled until its URL is set again"
    retry_after = None
    if code == 429 or code >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
    return Outcome(status_code=code, error=error, retry_after=retry_after)


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
