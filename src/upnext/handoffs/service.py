"""The rules of handoffs: minting a token for a context, and redeeming it exactly once.

A handoff is the publisher's consent, given while its user is signed in, that a platform
may attach one of its contexts (docs/handoffs.md). The token is 192 random bits, stored
only as its SHA-256 hash, and redeemable once before it expires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.callers import Caller
from upnext.contexts import service as contexts
from upnext.handoffs import repository as repo
from upnext.kit import ids
from upnext.kit.hashing import hash_secret
from upnext.kit.problems import FieldError, Invalid
from upnext.kit.timestamps import iso, now_us
from upnext.portal import service as portal

PREFIX = "HO"

clock: Callable[[], int] = now_us
"""The time in microseconds that minting and redeeming go by; tests replace it."""


def new_token() -> str:
    """``HO`` and 192 random bits, URL-safe: it travels in deep links."""
    return f"{PREFIX}{ids.token(24)}"


async def mint_handoff(
    conn: AsyncConnection,
    caller: Caller,
    context_id: str,
    platform_id: str | None,
    ttl_seconds: int,
) -> dict[str, Any]:
    """A new token for the caller's own context; 403/404 as for the context's items."""
    context = await contexts.owned_context(conn, caller, context_id)
    if platform_id is not None:
        await portal.get_platform(conn, platform_id)  # 404, like an unknown app_id on attach
    token, now = new_token(), clock()
    values = {
        "token_hash": hash_secret(token),
        "app_id": context["app_id"],
        "context_id": context_id,
        "platform_id": platform_id,
        "created_at": now,
        "expires_at": now + ttl_seconds * 1_000_000,
    }
    await repo.insert_handoff(conn, values)
    return {
        "handoff_token": token,
        "context_id": context_id,
        "app_id": values["app_id"],
        "expires_at": iso(values["expires_at"]),
    }


def invalid_token() -> Invalid:
    # One answer for unknown, expired, used and another platform's: it reveals nothing.
    return Invalid(
        "The handoff token is unknown, expired, already used, or meant for another platform. "
        "Ask the app for a new one.",
        code="handoff_token_invalid",
        errors=[FieldError("handoff_token", "not a redeemable handoff token")],
    )


async def redeem(conn: AsyncConnection, platform_id: str, token: str) -> RowMapping:
    """Use the token for ``platform_id``: the handoff (its app and context), or 422.

    The token is spent in the caller's transaction, so an attach that fails afterwards
    (the app's avail withdrawn: 403) gives it back.
    """
    token_hash = hash_secret(token)
    if not await repo.mark_used(conn, token_hash, platform_id, clock()):
        raise invalid_token()
    handoff = await repo.get_handoff(conn, token_hash)
    assert handoff is not None  # marked used just now, in this transaction
    return handoff


async def purge(conn: AsyncConnection, now: int, limit: int) -> int:
    """Forget up to ``limit`` expired handoffs; how many."""
    return await repo.purge_expired(conn, now, limit)
