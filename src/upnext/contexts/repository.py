"""All SQL of contexts and their items (their lists are read by upnext.readmodel)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.statements import Statement
from upnext.db.tables import apps, contexts, items, session_contexts, webhook_deliveries
from upnext.kit.sql import insert_ignore

# Every item write runs these: on the driver (db.statements).
_CONTEXT = Statement(select(contexts).where(contexts.c.context_id == bindparam("context_id")))
_COUNT = Statement(
    select(func.count()).select_from(items).where(items.c.context_id == bindparam("context_id"))
)


async def get_context(conn: AsyncConnection, context_id: str) -> dict[str, Any] | None:
    return await _CONTEXT.first(conn, {"context_id": context_id})


async def insert_context(conn: AsyncConnection, context_id: str, app_id: str, now: int) -> None:
    """Create the context unless it exists (a concurrent first write may have won)."""
    values = {"context_id": context_id, "app_id": app_id, "created_at": now}
    await insert_ignore(conn, contexts, values, keys=["context_id"])


@functools.cache
def _upsert_item(dialect: str, columns: tuple[str, ...], keep_hidden: bool) -> Statement:
    """The item upsert for these columns, built once: building ``excluded`` costs more than
    running the statement."""
    statement = (sqlite if dialect == "sqlite" else postgresql).insert(items)
    statement = statement.values({name: bindparam(name) for name in columns})
    new = statement.excluded
    changed = {
        name: new[name]
        for name in columns
        if name not in ("context_id", "content_id") and not (keep_hidden and name == "hidden")
    }
    changed["event_time"] = func.coalesce(new.event_time, items.c.event_time)
    not_older = or_(
        items.c.event_time.is_(None),
        new.event_time.is_(None),
        new.event_time >= items.c.event_time,
    )
    upsert = statement.on_conflict_do_update(
        index_elements=["context_id", "content_id"], set_=changed, where=not_older
    ).returning(*(items.c[name] for name in KEPT))  # rowcount is -1 for upserts on psycopg
    return Statement(upsert)


KEPT = ("hidden", "event_time")
"""The columns a write may leave as stored (when it omits them), returned by ``put_item``."""


async def put_item(conn: AsyncConnection, values: dict[str, Any]) -> dict[str, Any] | None:
    """Insert or replace an item: the ``KEPT`` columns as now stored, or None when the
    stored item has a newer ``event_time`` and nothing was written.

    ``hidden`` of None keeps a stored item's flag; an ``event_time`` of None keeps the
    stored one. The comparison happens inside the upsert, under the row lock, so of
    concurrent writers the newest always wins on SQLite and PostgreSQL alike.
    """
    keep_hidden = values.get("hidden") is None
    row = {**values, "hidden": bool(values.get("hidden"))}
    statement = _upsert_item(conn.dialect.name, tuple(row), keep_hidden)
    written = await statement.rows(conn, row)
    if not written:
        return None
    hidden, event_time = written[0]
    return {"hidden": bool(hidden), "event_time": event_time}


_ITEM_KEY = and_(
    items.c.context_id == bindparam("context_id"), items.c.content_id == bindparam("content_id")
)
_ITEM = Statement(select(items).where(_ITEM_KEY))
# A write that re-renders an item locks it first, so that no concurrent write changes the
# columns between the read and the rendering (FOR UPDATE; SQLite's writer is alone anyway).
_ITEM_FOR_UPDATE = Statement(select(items).where(_ITEM_KEY).with_for_update())
_SET_HIDDEN = Statement(
    update(items)
    .where(_ITEM_KEY, items.c.hidden != bindparam("flag"))
    .values(hidden=bindparam("flag"), rendered=bindparam("rendered"))
)
_SET_RENDERED = Statement(update(items).where(_ITEM_KEY).values(rendered=bindparam("rendered")))


async def get_item(
    conn: AsyncConnection, context_id: str, content_id: str
) -> dict[str, Any] | None:
    return await _ITEM.first(conn, {"context_id": context_id, "content_id": content_id})


async def lock_item(
    conn: AsyncConnection, context_id: str, content_id: str
) -> dict[str, Any] | None:
    """The item, locked until the transaction ends (for a write that re-renders it)."""
    return await _ITEM_FOR_UPDATE.first(conn, {"context_id": context_id, "content_id": content_id})


async def set_hidden(
    conn: AsyncConnection, context_id: str, content_id: str, hidden: bool, rendered: bytes
) -> bool:
    """Whether this statement changed the flag: of two concurrent identical requests, the
    second waits for the first's row lock, then finds nothing left to change."""
    params = {"context_id": context_id, "content_id": content_id, "flag": hidden}
    return bool(await _SET_HIDDEN.change(conn, {**params, "rendered": rendered}))


async def set_rendered(
    conn: AsyncConnection, context_id: str, content_id: str, rendered: bytes
) -> None:
    params = {"context_id": context_id, "content_id": content_id, "rendered": rendered}
    await _SET_RENDERED.change(conn, params)


async def delete_item(conn: AsyncConnection, context_id: str, content_id: str) -> bool:
    result = await conn.execute(
        items.delete().where(items.c.context_id == context_id, items.c.content_id == content_id)
    )
    return bool(result.rowcount)


async def delete_items(conn: AsyncConnection, context_id: str, content_ids: Sequence[str]) -> None:
    if content_ids:
        await conn.execute(
            items.delete().where(
                items.c.context_id == context_id, items.c.content_id.in_(content_ids)
            )
        )


async def content_ids(conn: AsyncConnection, context_id: str) -> set[str]:
    """The content ids of every item the context stores, visible or not."""
    result = await conn.execute(select(items.c.content_id).where(items.c.context_id == context_id))
    return set(result.scalars())


def _expired(now: int, max_age_us: int | None) -> ColumnElement[bool]:
    gone = and_(items.c.expires_at.is_not(None), items.c.expires_at <= now)
    if max_age_us is None:
        return gone
    return or_(gone, items.c.updated_at <= now - max_age_us)


async def expired_items(
    conn: AsyncConnection, now: int, max_age_us: int | None, limit: int
) -> list[tuple[str, str]]:
    """Up to ``limit`` (context_id, content_id) of items no list shows any more."""
    query = (
        select(items.c.context_id, items.c.content_id).where(_expired(now, max_age_us)).limit(limit)
    )
    return [(row.context_id, row.content_id) for row in await conn.execute(query)]


async def purge_items(
    conn: AsyncConnection, keys: Sequence[tuple[str, str]], now: int, max_age_us: int | None
) -> int:
    """Delete the given items if they are still expired (a write may have revived one)."""
    removed = 0
    for context_id, content_id in keys:
        result = await conn.execute(
            items.delete().where(
                items.c.context_id == context_id,
                items.c.content_id == content_id,
                _expired(now, max_age_us),
            )
        )
        removed += result.rowcount or 0
    return removed


async def app_guidelines(conn: AsyncConnection, app_id: str) -> str | None:
    """The app's Publisher Guidelines thresholds as stored JSON (None: the defaults)."""
    result = await conn.scalar(select(apps.c.guidelines).where(apps.c.app_id == app_id))
    return None if result is None else str(result)


async def count_items(conn: AsyncConnection, context_id: str) -> int:
    rows = await _COUNT.rows(conn, {"context_id": context_id})
    return int(rows[0][0])


async def detach_everywhere(conn: AsyncConnection, context_id: str) -> None:
    """Remove the context from every session."""
    await conn.execute(session_contexts.delete().where(session_contexts.c.context_id == context_id))


async def erase_context(conn: AsyncConnection, context_id: str) -> None:
    """Delete the context, its items, its attachments to sessions and its webhook events."""
    await conn.execute(
        webhook_deliveries.delete().where(webhook_deliveries.c.context_id == context_id)
    )
    await conn.execute(session_contexts.delete().where(session_contexts.c.context_id == context_id))
    await conn.execute(items.delete().where(items.c.context_id == context_id))
    await conn.execute(contexts.delete().where(contexts.c.context_id == context_id))
