"""The SSRF guard: every forbidden address class, at configuration and at delivery."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from tests.webhooks.receiver import receiving
from tests.webhooks.scene import make_scene
from upnext.app import create_app
from upnext.settings import Settings
from upnext.webhooks import addresses

FORBIDDEN = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "fd12:3456::1": "private",
    "169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "100.64.0.1": "CGNAT",
    "100.127.255.254": "CGNAT",
    "0.0.0.0": "unspecified",  # noqa: S104 (an address to refuse, not to bind)
    "::": "unspecified",
    "::ffff:10.0.0.1": "IPv4-mapped",
    "::ffff:8.8.8.8": "IPv4-mapped",
    "224.0.0.1": "multicast",
    "192.0.2.10": "private",  # documentation range (TEST-NET-1)
}


@pytest.mark.parametrize(("address", "kind"), FORBIDDEN.items())
def test_forbidden_classes(address: str, kind: str) -> None:
    assert addresses.forbidden_class(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert addresses.forbidden_class(ipaddress.ip_address(address)) is None


def _literal(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}:8443/hooks"


@pytest.mark.parametrize("address", FORBIDDEN)
async def test_check_refuses_each_class(address: str) -> None:
    with pytest.raises(addresses.UnsafeAddress, match=FORBIDDEN[address]):
        await addresses.check(_literal(address), allow_private=False)


async def test_names_are_resolved_before_the_check() -> None:
    with pytest.raises(addresses.UnsafeAddress, match="loopback"):
        await addresses.check("http://localhost/hooks", allow_private=False)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http:///x"])
async def test_only_http_urls(url: str) -> None:
    with pytest.raises(addresses.UnsafeAddress, match="only http and https"):
        await addresses.check(url, allow_private=True)


async def test_unresolvable_name() -> None:
    with pytest.raises(addresses.UnsafeAddress, match="does not resolve"):
        await addresses.check("https://no-such-host.invalid/hooks", allow_private=True)


async def test_the_flag_allows_private_addresses() -> None:
    target = await addresses.check("http://127.0.0.1:9/x", allow_private=True)
    assert (str(target.address), target.port, target.host) == ("127.0.0.1", 9, "127.0.0.1")


@asynccontextmanager
async def serving(settings: Settings, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    """A started app with some settings changed, and a client of it."""
    application: FastAPI = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture
async def strict(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app as deployed: UPNEXT_WEBHOOK_ALLOW_PRIVATE unset."""
    async with serving(settings, webhook_allow_private=False) as client:
        yield client


@pytest.mark.parametrize("address", FORBIDDEN)
async def test_patch_refuses_each_class(strict: httpx.AsyncClient, address: str) -> None:
    scene = await make_scene(strict, None)
    r = await scene.set_url(_literal(address))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"][0]["field"] == "webhook_url"
    if ":" not in address:  # the body's URI pattern refuses bracketed IPv6 hosts itself
        assert problem["code"] == "webhook_url_refused"
        assert FORBIDDEN[address] in problem["detail"]
    app = await strict.get(f"/v1/apps/{scene.app.id}", auth=scene.app.auth)
    assert app.json()["webhook_url"] is None


async def test_patch_refuses_a_name_of_a_loopback_address(strict: httpx.AsyncClient) -> None:
    scene = await make_scene(strict, None)
    r = await scene.set_url("http://localhost:8080/hooks")
    assert r.status_code == 422
    assert "loopback" in r.json()["detail"]


async def test_delivery_checks_the_address_again(settings: Settings) -> None:
    # The URL was accepted while private addresses were allowed; a worker that does not
    # allow them refuses to connect, records why, and the receiver never hears of it.
    with receiving() as receiver:
        async with serving(settings) as permissive:
            scene = await make_scene(permissive, receiver.url)
        async with serving(settings, webhook_allow_private=False) as client:
            scene.client = client
            await scene.hide()
            (delivery,) = await scene.wait_until("failed")
    assert receiver.received == []
    assert all("loopback" in a["error"] for a in delivery["attempts"])
    assert all("status_code" not in a for a in delivery["attempts"])


async def test_a_name_that_does_not_resolve_yet_is_accepted_and_checked_at_delivery(
    strict: httpx.AsyncClient,
) -> None:
    scene = await make_scene(strict, None)
    r = await scene.set_url("https://no-such-host.invalid/hooks")
    assert r.status_code == 200, r.text
    await scene.hide()
    (delivery,) = await scene.wait_until("failed")
    assert all("does not resolve" in a["error"] for a in delivery["attempts"])
