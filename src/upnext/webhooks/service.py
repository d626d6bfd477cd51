"""Webhook rules: queuing events in the caller's transaction, secrets, the delivery log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.callers import Caller
from upnext.db.engine import wake_after_commit
from upnext.kit.pagination import Page
from upnext.kit.problems import NotFound
from upnext.kit.timestamps import iso, now_us
from upnext.webhooks import addresses, owners, signing, worker
from upnext.webhooks import repository as repo
from upnext.webhooks.owners import Owner

ROTATION_OVERLAP_US = 24 * 3600 * 1_000_000  # a rotated-out secret keeps signing this long


async def queue_event(
    conn: AsyncConnection,
    app_id: str,
    event_type: str,
    data: dict[str, Any],
    *,
    context_id: str | None = None,
) -> str:
    """Store an event for ``app_id`` in the current transaction (the outbox); its id."""
    return await queue(conn, owners.app(app_id), event_type, data, context_id=context_id)


async def queue(
    conn: AsyncConnection,
    owner: Owner,
    event_type: str,
    data: dict[str, Any],
    **columns: Any,
) -> str:
    """Store an event for ``owner`` in the current transaction; its id. ``columns`` are
    further columns of the delivery (``context_id``, ``session_id``, ...)."""
    now = now_us()
    delivery_id = signing.new_message_id()
    payload = {"type": event_type, "timestamp": iso(now), "data": data}
    await repo.insert_delivery(
        conn,
        {
            "delivery_id": delivery_id,
            owner.column: owner.id,
            "event_type": event_type,
            "payload": orjson.dumps(payload).decode(),
            "status": "pending",
            "attempt_count": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
            **columns,
        },
    )
    wake_after_commit(conn, worker.queued)  # deliver now, not at the next poll
    return delivery_id


# configuration


def require_tenant(caller: Caller, owner: Owner) -> None:
    """``Forbidden`` unless the caller is an admin or the owner's own key."""
    if owner.kind == "app":
        caller.require_app(owner.id)
    else:
        caller.require_platform(owner.id)


async def require_owner(conn: AsyncConnection, owner: Owner) -> None:
    """``NotFound`` unless the app or platform exists."""
    if not await repo.owner_exists(conn, owner):
        code = f"{owner.kind}_not_found"
        raise NotFound(f"No {owner.kind} {owner.id}.", code=code)


async def set_url(
    conn: AsyncConnection, caller: Caller, owner: Owner, url: str | None, *, allow_private: bool
) -> None:
    """Set or clear where the owner's events go, with the URL's checks."""
    require_tenant(caller, owner)
    if url is not None:
        await addresses.check_webhook_url(url, allow_private=allow_private)
    await require_owner(conn, owner)
    await repo.set_endpoint(conn, owner, url)
    if url is not None:  # events that waited for an endpoint are due now
        await repo.unpark(conn, owner, now_us())


async def rotate_secret(conn: AsyncConnection, caller: Caller, owner: Owner) -> dict[str, str]:
    """A new signing secret; the previous one keeps signing for 24 hours beside it."""
    require_tenant(caller, owner)
    await require_owner(conn, owner)
    await repo.lock_owners(conn, [owner.id])  # a worker must not park what we unpark below
    now = now_us()
    secret = signing.new_secret()
    await repo.retire_secrets(conn, owner, now + ROTATION_OVERLAP_US)
    await repo.insert_secret(conn, owner, secret, now)
    await repo.unpark(conn, owner, now)
    return {"secret": secret}


# the delivery log


async def deliveries(
    conn: AsyncConnection, caller: Caller, owner: Owner, status: str | None, page: Page
) -> tuple[list[dict[str, Any]], int]:
    require_tenant(caller, owner)
    await require_owner(conn, owner)
    rows, total = await repo.list_deliveries(conn, owner, status, page)
    attempts = await repo.attempts_of(conn, [row["delivery_id"] for row in rows])
    return [render_delivery(row, attempts.get(row["delivery_id"], [])) for row in rows], total


async def delivery(conn: AsyncConnection, owner: Owner, delivery_id: str) -> dict[str, Any]:
    row = await _get(conn, owner, delivery_id)
    attempts = await repo.attempts_of(conn, [delivery_id])
    return render_delivery(row, attempts.get(delivery_id, []))


async def retry_delivery(
    conn: AsyncConnection,
    caller: Caller,
    owner: Owner,
    delivery_id: str,
    schedule: Sequence[float],
) -> dict[str, Any]:
    """Queue a delivery again for an attempt now, keeping its ``webhook-id``.

    A pending delivery just skips its wait. A delivered or failed one gets one more
    attempt, which is not retried if it fails: a manual replay, not a new schedule.
    """
    require_tenant(caller, owner)
    await require_owner(conn, owner)
    row = await _get(conn, owner, delivery_id)
    now = now_us()
    values: dict[str, Any] = {"status": "pending", "next_attempt_at": now, "updated_at": now}
    if row["status"] != "pending":
        values["attempt_count"] = len(schedule)
    await repo.update_delivery(conn, delivery_id, values)
    wake_after_commit(conn, worker.queued)
    return await delivery(conn, owner, delivery_id)


async def send_test(conn: AsyncConnection, caller: Caller, owner: Owner) -> dict[str, Any]:
    """Queue a ``webhook_test`` event to the owner's endpoint."""
    require_tenant(caller, owner)
    await require_owner(conn, owner)
    delivery_id = await queue(conn, owner, "webhook_test", {owner.column: owner.id})
    return await delivery(conn, owner, delivery_id)


async def _get(conn: AsyncConnection, owner: Owner, delivery_id: str) -> RowMapping:
    row = await repo.get_delivery(conn, owner, delivery_id)
    if row is None:
        raise NotFound(
            f"{owner.label} {owner.id} has no delivery {delivery_id}.", code="delivery_not_found"
        )
    return row


def render_delivery(row: RowMapping, attempts: Sequence[RowMapping]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "delivery_id": row["delivery_id"],
        "webhook_id": row["delivery_id"],
        "event_type": row["event_type"],
        "status": row["status"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }
    if row["status"] == "pending" and row["next_attempt_at"] is not None:
        body["next_attempt_at"] = iso(row["next_attempt_at"])
    body["payload"] = orjson.loads(row["payload"])
    body["attempts"] = [render_attempt(a) for a in attempts]
    return body


def render_attempt(row: RowMapping) -> dict[str, Any]:
    body: dict[str, Any] = {"attempted_at": iso(row["attempted_at"])}
    for name in ("status_code", "latency_ms", "error"):
        if row[name] is not None:
            body[name] = row[name]
    return body
