"""The purge job: deletes items no list shows any more, idempotency keys past 24 hours and
expired portal sessions and handoff tokens.

Lists already hide expired items by themselves (readmodel.list_items), so the
job only reclaims space and may run late or twice: each process runs it, and deleting a
row that another process deleted first is harmless.
"""

from __future__ import annotations

import asyncio
import logging

from upnext.contexts import repository as items_repo
from upnext.contexts.service import DAY_US
from upnext.db.engine import Database
from upnext.handoffs import service as handoffs
from upnext.idempotency import service as idempotency
from upnext.kit.timestamps import now_us
from upnext.portal import service as portal
from upnext.settings import Settings

log = logging.getLogger("upnext.retention")

INTERVAL_SECONDS = 3600
BATCH = 500  # rows per transaction, so the SQLite writer is never held for long


def max_age_us(settings: Settings) -> int | None:
    return settings.item_ttl_days * DAY_US if settings.item_ttl_days > 0 else None


async def purge_items(db: Database, now: int, max_age: int | None) -> int:
    """Delete every item expired at ``now``; how many."""
    removed = 0
    while True:
        async with db.write() as conn:
            keys = await items_repo.expired_items(conn, now, max_age, BATCH)
            removed += await items_repo.purge_items(conn, keys, now, max_age)
        if len(keys) < BATCH:
            return removed


async def purge_handoffs(db: Database, now: int) -> int:
    """Delete every handoff expired at ``now`` (used or not: either way it is dead); how many."""
    removed = 0
    while True:
        async with db.write() as conn:
            batch = await handoffs.purge(conn, now, BATCH)
        removed += batch
        if batch < BATCH:
            return removed


async def purge_once(db: Database, settings: Settings, now: int | None = None) -> int:
    """One pass of the job at ``now`` (the clock is injectable for tests)."""
    now = now_us() if now is None else now
    removed = await purge_items(db, now, max_age_us(settings))
    await idempotency.purge(db, now)
    await portal.purge_sessions(db, now)
    await purge_handoffs(db, now)
    return removed


async def purge_job(db: Database, settings: Settings) -> None:
    """Purge at start-up and then every hour."""
    while True:
        removed = await purge_once(db, settings)
        if removed:
            log.info("purged %d expired items", removed)
        await asyncio.sleep(INTERVAL_SECONDS)
