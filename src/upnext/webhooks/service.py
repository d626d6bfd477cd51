"""Webhook rules: which events exist and how one is queued in the caller's transaction."""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.kit.timestamps import iso, now_us
from upnext.webhooks import repository as repo


def new_delivery_id() -> str:
    """A Standard Webhooks message id: ``msg_`` and 128 random bits."""
    return f"msg_{secrets.token_hex(16)}"


async def queue_event(
    conn: AsyncConnection,
    app_id: str,
    event_type: str,
    data: dict[str, Any],
    *,
    context_id: str | None = None,
) -> str:
    """Store an event for ``app_id`` in the current transaction (the outbox); its id."""
    now = now_us()
    delivery_id = new_delivery_id()
    payload = {"type": event_type, "timestamp": iso(now), "data": data}
    await repo.insert_delivery(
        conn,
        {
            "delivery_id": delivery_id,
            "app_id": app_id,
            "event_type": event_type,
            "payload": orjson.dumps(payload).decode(),
            "status": "pending",
            "attempt_count": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
            "context_id": context_id,
        },
    )
    return delivery_id
