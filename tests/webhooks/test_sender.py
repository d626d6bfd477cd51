"""One attempt over real HTTP: to the checked address, with the URL's name as Host and SNI."""

from __future__ import annotations

import asyncio
import ipaddress

from tests.webhooks.receiver import receiving
from upnext.webhooks import addresses, sender


async def test_connects_to_the_checked_address_and_keeps_the_name() -> None:
    with receiving(answers=[(503, {"Retry-After": "7"})]) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        url = f"http://localhost:{port}/hooks?x=1"
        async with sender.new_client() as client:
            attempt = await sender.post(
                client, url, {"webhook-id": "msg_1"}, '{"a":1}', allow_private=True
            )
    (request,) = receiver.received
    assert request.headers["host"] == f"localhost:{port}"
    assert request.path == "/hooks?x=1"
    assert request.body == b'{"a":1}'
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["user-agent"].startswith("UpNext-Webhooks/")
    assert attempt.outcome.status_code == 503
    assert attempt.outcome.retry_after == 7
    assert attempt.latency_ms is not None


async def test_https_goes_to_the_address_with_the_name_for_tls() -> None:
    target = addresses.Target(
        "https", "hooks.example.com", 443, ipaddress.ip_address("2001:db8::5")
    )
    async with sender.new_client() as client:
        request = sender._request(client, "https://hooks.example.com/in", target, {}, "{}")
    assert request.url.host == "2001:db8::5"
    assert request.url.path == "/in"
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert not client.follow_redirects


async def test_refused_address_is_an_outcome_not_an_exception() -> None:
    async with sender.new_client() as client:
        attempt = await sender.post(client, "http://10.0.0.1/x", {}, "{}", allow_private=False)
    assert attempt.outcome.status_code is None
    assert attempt.outcome.error == "refused: 10.0.0.1 resolves to 10.0.0.1, a private address"


async def test_a_large_answer_is_read_only_up_to_the_cap() -> None:
    with receiving() as receiver:
        receiver.body = b"x" * (20 * 1024 * 1024)
        async with sender.new_client() as client:
            attempt = await sender.post(client, receiver.url, {}, "{}", allow_private=True)
        for _ in range(100):  # the receiver notices the hang-up when its write fails
            if receiver.cut_short:
                break
            await asyncio.sleep(0.02)
    assert attempt.outcome.status_code == 200
    assert attempt.outcome.error is None
    assert receiver.cut_short == 1
