"""The SSRF guard: which hosts a webhook may reach, checked when the URL is set and again
at each delivery, where the worker connects to exactly the address that was checked."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from upnext.kit.problems import FieldError, Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CGNAT = ipaddress.ip_network("100.64.0.0/10")
DEFAULT_PORTS = {"http": 80, "https": 443}
RESOLVE_TIMEOUT = 5.0  # seconds; a dead resolver must not hold a request or an attempt


class UnsafeAddress(Exception):
    """The URL is not http(s), does not resolve, or reaches a forbidden address."""


class Unresolvable(UnsafeAddress):
    """The URL's host does not resolve (now)."""


@dataclass(frozen=True)
class Target:
    """Where to deliver: the URL's parts and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    address: IPAddress


def forbidden_class(address: IPAddress) -> str | None:
    """Why ``address`` may not receive webhooks (``None``: a public address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return "IPv4-mapped"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("CGNAT", isinstance(address, ipaddress.IPv4Address) and address in CGNAT),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        # Reserved, documentation, 6to4/NAT64 relays and the like: not reachable publicly.
        ("non-global", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def split(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of an http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeAddress(f"not a valid URL: {error}") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise UnsafeAddress("only http and https URLs can receive webhooks")
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise Unresolvable(f"{host} did not resolve within {RESOLVE_TIMEOUT:g} s") from None
    except (OSError, UnicodeError) as error:
        raise Unresolvable(f"{host} does not resolve: {error}") from None
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    if not addresses:
        raise Unresolvable(f"{host} does not resolve")
    return sorted(addresses, key=lambda a: (a.version, int(a)))


async def check(url: str, *, allow_private: bool) -> Target:
    """Resolve ``url``'s host; refuse it if any of its addresses is forbidden.

    Every address must pass, not just the first: a name with one public and one private
    record would otherwise reach the private one on a later resolution.
    """
    scheme, host, port = split(url)
    addresses = await resolve(host, port)
    if not allow_private:
        for address in addresses:
            reason = forbidden_class(address)
            if reason is not None:
                raise UnsafeAddress(f"{host} resolves to {address}, a {reason} address")
    return Target(scheme, host, port, addresses[0])


async def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """``Invalid`` (422) if ``url`` is not http(s) or resolves to a forbidden address.

    A name that does not resolve (yet) is accepted: it reaches nothing now, and every
    delivery checks again, so its DNS can be set up after the URL.
    """
    try:
        await check(url, allow_private=allow_private)
    except Unresolvable:
        return
    except UnsafeAddress as error:
        raise Invalid(
            f"webhook_url is refused: {error}.",
            code="webhook_url_refused",
            errors=[FieldError("webhook_url", str(error))],
        ) from None
