"""Series hides and snoozes: the rules of the hide body's ``scope`` and ``until``, and the
job that ends snoozes.

A snooze is a hide with an end (``items.hidden_until``). Lists read ``hidden: false`` from
that moment on by themselves (``readmodel._spliced``); this job then writes it, renders
the item again and tells the item's app (``item_unhidden``, ``"reason": "snooze_ended"``).
It runs in every process every ``INTERVAL_SECONDS``: ending a snooze deletes its row
first, so of two processes only one writes the event.

A hidden series is a row of ``series_hides``: its items are hidden when it is written, and
an episode of it written later without ``hidden`` is stored hidden (``contexts.service``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.contexts import repository as repo
from upnext.contexts.schemas import render_item
from upnext.db.engine import Database
from upnext.kit.problems import FieldError, Invalid
from upnext.kit.timestamps import now_us
from upnext.settings import Settings
from upnext.webhooks import service as webhooks
from upnext.webhooks import session_events

log = logging.getLogger("upnext.snoozes")

INTERVAL_SECONDS = 20.0  # an ended snooze's event is queued within this (the issue: a minute)
BATCH = 100  # snoozes ended per transaction, so the SQLite writer is never held for long


async def _set(
    conn: AsyncConnection, item: dict[str, Any], hidden: bool, until: int | None
) -> bool:
    """Give a locked item this flag and snooze end, rendered again; whether it changed."""
    if (bool(item["hidden"]), item["hidden_until"]) == (hidden, until):
        return False
    rendered = render_item({**item, "hidden": hidden})
    await repo.set_hiding(conn, item["context_id"], item["content_id"], hidden, until, rendered)
    return True


async def hide_item(
    conn: AsyncConnection, who: dict[str, Any], item: dict[str, Any], until: int | None
) -> bool:
    """Hide (until ``until``, or for good) or unhide one locked item; whether it changed.
    ``who``: the hide's platform and session (the snooze-end event's)."""
    hidden = bool(who["hidden"])
    was_snoozed = item["hidden_until"] is not None
    changed = await _set(conn, item, hidden, until if hidden else None)
    if until is not None:
        await repo.put_item_snooze(
            conn,
            {
                "context_id": item["context_id"],
                "content_id": item["content_id"],
                "platform_id": who["platform_id"],
                "session_id": who["session_id"],
                "hidden_until": until,
                "created_at": now_us(),
            },
        )
    elif was_snoozed and changed:
        await repo.delete_item_snoozes(conn, item["context_id"], [item["content_id"]])
    return changed


async def hide_series(
    conn: AsyncConnection, who: dict[str, Any], item: dict[str, Any], until: int | None
) -> bool:
    """Hide or unhide every item of the named item's series in its context, and episodes
    written later; whether anything changed."""
    context_id, series_id = item["context_id"], item["series_id"]
    if series_id is None:
        raise Invalid(
            f"Item {item['content_id']} has no series_id, so it names no series.",
            code="item_without_series",
            errors=[FieldError("scope", "series needs an item with a series_id")],
        )
    hidden = bool(who["hidden"])
    stored = await repo.get_series_hide(conn, context_id, series_id)
    if hidden:
        changed = stored is None or stored["hidden_until"] != until
        values = {
            "context_id": context_id,
            "series_id": series_id,
            "content_id": item["content_id"],
            "platform_id": who["platform_id"],
            "session_id": who["session_id"],
            "hidden_until": until,
            "created_at": now_us(),
        }
        if changed:
            await repo.put_series_hide(conn, values)
    else:
        changed = stored is not None and await repo.delete_series_hide(conn, context_id, series_id)
    members = await repo.lock_series(conn, context_id, series_id)
    for member in members:
        changed = await _set(conn, member, hidden, until if hidden else None) or changed
    # The series' own end replaces the snoozes of its items.
    snoozed = [m["content_id"] for m in members if m["hidden_until"] is not None]
    await repo.delete_item_snoozes(conn, context_id, snoozed)
    return changed


# --- the end of snoozes ----------------------------------------------------------------


async def tell_platforms(conn: AsyncConnection, context_id: str) -> None:
    """The one place a snooze's end is announced to platforms: a ``session_changed`` to
    every session showing ``context_id`` (``webhooks.session_events``), in the same
    transaction."""
    await session_events.notify_context_changed(conn, context_id)


def _ended(who: dict[str, Any], app_id: str) -> dict[str, Any]:
    return {
        "app_id": app_id,
        "context_id": who["context_id"],
        "content_id": who["content_id"],
        "platform_id": who["platform_id"],
        "session_id": who["session_id"],
        "hidden": False,
    }


async def _end_series(conn: AsyncConnection, hide: dict[str, Any]) -> bool:
    context_id, series_id, until = hide["context_id"], hide["series_id"], hide["hidden_until"]
    if not await repo.delete_series_hide(conn, context_id, series_id, until=until):
        return False  # unhidden or hidden anew meanwhile, or another process ended it
    for member in await repo.lock_series(conn, context_id, series_id):
        if member["hidden"] and member["hidden_until"] == until:
            await _set(conn, member, False, None)
    context = await repo.get_context(conn, context_id)
    if context is None:
        return False
    data = _ended(hide, context["app_id"])
    data |= {"scope": "series", "series_id": series_id, "reason": "snooze_ended"}
    await webhooks.queue_event(
        conn, context["app_id"], "item_unhidden", data, context_id=context_id
    )
    await tell_platforms(conn, context_id)
    return True


async def _end_item(conn: AsyncConnection, snooze: dict[str, Any]) -> bool:
    context_id, content_id, until = (
        snooze["context_id"],
        snooze["content_id"],
        snooze["hidden_until"],
    )
    if not await repo.delete_item_snooze(conn, context_id, content_id, until):
        return False  # snoozed anew meanwhile, or another process ended it
    item = await repo.lock_item(conn, context_id, content_id)
    if item is None or not item["hidden"] or item["hidden_until"] != until:
        return False  # deleted, unhidden, hidden for good or written by the publisher since
    await _set(conn, item, False, None)
    data = _ended(snooze, item["app_id"]) | {"reason": "snooze_ended"}
    await webhooks.queue_event(conn, item["app_id"], "item_unhidden", data, context_id=context_id)
    await tell_platforms(conn, context_id)
    return True


async def end_due(db: Database, now: int) -> int:
    """End every snooze (of a series or an item) that has ended by ``now``; how many."""
    ended = 0
    for due, end in ((repo.due_series_hides, _end_series), (repo.due_item_snoozes, _end_item)):
        while True:
            async with db.write() as conn:
                found = await due(conn, now, BATCH)
                for snooze in found:
                    ended += await end(conn, snooze)
            if len(found) < BATCH:
                break
    return ended


async def snooze_job(
    db: Database,
    settings: Settings,
    *,
    interval: float = INTERVAL_SECONDS,
    clock: Callable[[], int] = now_us,
) -> None:
    """End due snoozes every ``interval`` seconds (the clock is injectable for tests)."""
    while True:
        await asyncio.sleep(interval)
        ended = await end_due(db, clock())
        if ended:
            log.info("ended %d snoozes", ended)
