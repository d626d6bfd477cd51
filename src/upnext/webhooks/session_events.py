"""session_changed: a platform hears that a session's aggregated list may have changed.

The write paths call one function each, in their own transaction (the outbox):

- ``notify_context_changed``: items of a context were written, deleted, hidden or
  unhidden (or a snooze ended); every session showing the context is told.
- ``notify_session_changed``: contexts were attached to or detached from one session.
- ``avail_switching``: an app's avail to a platform is about to be switched.

Only platforms with a webhook URL hear, and only of contexts whose app they can see.

Events are coalesced: a session has at most one open event (not yet claimed by a worker,
``coalesce_key`` set). A change adds its context ids to it and moves ``changed_at``; once
a worker has claimed it, the next change opens a new one. A new event is due at once, or
``INTERVAL_US`` after the session's previous event last changed, whichever is later: so a
burst of changes to a session gives one delivery at once and one more a second later that
names every context changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.engine import wake_after_commit
from upnext.kit.problems import Conflict
from upnext.kit.timestamps import iso, now_us
from upnext.webhooks import repository as repo
from upnext.webhooks import signing, worker

EVENT = "session_changed"
INTERVAL_US = 1_000_000  # a session hears at most about one session_changed a second
ATTEMPTS = 5  # to find or open a session's event while other transactions race for it


async def notify_context_changed(conn: AsyncConnection, context_id: str) -> None:
    """Items of ``context_id`` changed: tell every session that shows it.

    One indexed query when no platform listens; call it once per write transaction (a
    second call for the same context only adds nothing to the same open events).
    """
    for platform_id, session_id in await repo.sessions_watching(conn, context_id):
        await _changed(conn, platform_id, session_id, [context_id])


async def notify_session_changed(
    conn: AsyncConnection, platform_id: str, session_id: str, *context_ids: str
) -> None:
    """``context_ids`` were attached to or detached from the platform's session."""
    visible = await repo.visible_to_hooked_platform(conn, platform_id, context_ids)
    if visible:
        await _changed(conn, platform_id, session_id, [c for c in context_ids if c in visible])


async def avail_switching(
    conn: AsyncConnection, app_id: str, platform_id: str, enabled: bool
) -> None:
    """Before the app's avail to the platform is set to ``enabled``: if that switches it,
    the platform's sessions showing a context of the app gain or lose its items."""
    rows = await repo.sessions_of_switched_avail(conn, app_id, platform_id, enabled)
    for session_id, context_id in rows:
        await _changed(conn, platform_id, session_id, [context_id])


async def _changed(
    conn: AsyncConnection, platform_id: str, session_id: str, context_ids: Sequence[str]
) -> None:
    """Add ``context_ids`` to the session's open event, or open one."""
    key = f"{platform_id}/{session_id}"  # a session id never holds "/"
    for _ in range(ATTEMPTS):
        now = now_us()
        found = await repo.open_session_event(conn, key)
        if found is not None:
            payload = _merged(found["payload"], context_ids, now)
            await repo.coalesce(conn, found["delivery_id"], payload, now)
            return
        if await _open(conn, key, platform_id, session_id, context_ids, now):
            return
        # Another transaction opened it first (PostgreSQL): find it again.
    raise Conflict(
        f"Session {session_id} changed concurrently too often; try again.",
        code="concurrent_change",
    )


async def _open(
    conn: AsyncConnection,
    key: str,
    platform_id: str,
    session_id: str,
    context_ids: Sequence[str],
    now: int,
) -> bool:
    last = await repo.last_session_event_at(conn, platform_id, session_id)
    due = now if last is None else max(now, last + INTERVAL_US)
    data = {
        "platform_id": platform_id,
        "session_id": session_id,
        "context_ids": _unique(context_ids),
        "changed_at": iso(now),
    }
    payload = {"type": EVENT, "timestamp": iso(now), "data": data}
    opened = await repo.insert_open_event(
        conn,
        {
            "delivery_id": signing.new_message_id(),
            "platform_id": platform_id,
            "event_type": EVENT,
            "payload": orjson.dumps(payload).decode(),
            "status": "pending",
            "attempt_count": 0,
            "next_attempt_at": due,
            "created_at": now,
            "updated_at": now,
            "session_id": session_id,
            "coalesce_key": key,
        },
    )
    if opened and due == now:
        wake_after_commit(conn, worker.queued)  # deliver now, not at the next poll
    return opened


def _merged(stored: str, context_ids: Iterable[str], now: int) -> str:
    payload = orjson.loads(stored)
    data = payload["data"]
    data["context_ids"] = _unique([*data["context_ids"], *context_ids])
    data["changed_at"] = iso(now)
    return orjson.dumps(payload).decode()


def _unique(context_ids: Iterable[str]) -> list[str]:
    """In order of first change, each once."""
    return list(dict.fromkeys(context_ids))
