"""All SQL of contexts and their items (their lists are read by upnext.readmodel)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.statements import Statement
from upnext.db.tables import (
    apps,
    contexts,
    item_snoozes,
    items,
    series_hides,
    session_contexts,
    webhook_deliveries,
)
from upnext.kit.sql import insert_ignore, upsert

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
    kept = ("context_id", "content_id", *(HIDING if keep_hidden else ()))
    changed = {name: new[name] for name in columns if name not in kept}
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
HIDING = ("hidden", "hidden_until")
"""What a write that omits ``hidden`` keeps of a stored item (a new one takes the values)."""


async def put_item(
    conn: AsyncConnection, values: dict[str, Any], *, keep_hidden: bool
) -> dict[str, Any] | None:
    """Insert or replace an item: the ``KEPT`` columns as now stored, or None when the
    stored item has a newer ``event_time`` and nothing was written.

    With ``keep_hidden`` a stored item keeps its ``hidden`` and ``hidden_until`` (a new
    one takes the values given); an ``event_time`` of None keeps the stored one. The
    comparison happens inside the upsert, under the row lock, so of concurrent writers
    the newest always wins on SQLite and PostgreSQL alike.
    """
    statement = _upsert_item(conn.dialect.name, tuple(values), keep_hidden)
    written = await statement.rows(conn, values)
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
_SET_HIDING = Statement(
    update(items)
    .where(_ITEM_KEY)
    .values(
        hidden=bindparam("flag"), hidden_until=bindparam("until"), rendered=bindparam("rendered")
    )
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


async def set_hiding(
    conn: AsyncConnection,
    context_id: str,
    content_id: str,
    hidden: bool,
    until: int | None,
    rendered: bytes,
) -> None:
    """Set an item's flag and snooze end with its rendering (the caller holds its lock)."""
    params = {"context_id": context_id, "content_id": content_id, "flag": hidden}
    await _SET_HIDING.change(conn, {**params, "until": until, "rendered": rendered})


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
    await conn.execute(series_hides.delete().where(series_hides.c.context_id == context_id))
    await conn.execute(item_snoozes.delete().where(item_snoozes.c.context_id == context_id))
    await conn.execute(items.delete().where(items.c.context_id == context_id))
    await conn.execute(contexts.delete().where(contexts.c.context_id == context_id))


# --- hidden series and snoozes (upnext.snoozes) -------------------------------------

_SERIES_HIDE = Statement(
    select(series_hides.c.hidden_until).where(
        series_hides.c.context_id == bindparam("context_id"),
        series_hides.c.series_id == bindparam("series_id"),
    )
)


async def series_hide(
    conn: AsyncConnection, context_id: str, series_id: str
) -> dict[str, Any] | None:
    """The series' hide (``hidden_until``), if it is hidden: every write of an episode
    that omits ``hidden`` runs this, so on the driver."""
    return await _SERIES_HIDE.first(conn, {"context_id": context_id, "series_id": series_id})


async def get_series_hide(
    conn: AsyncConnection, context_id: str, series_id: str
) -> dict[str, Any] | None:
    result = await conn.execute(
        select(series_hides)
        .where(series_hides.c.context_id == context_id, series_hides.c.series_id == series_id)
        .with_for_update()
    )
    row = result.mappings().first()
    return None if row is None else dict(row)


async def put_series_hide(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await upsert(conn, series_hides, values, keys=["context_id", "series_id"])


async def delete_series_hide(
    conn: AsyncConnection, context_id: str, series_id: str, until: int | None = None
) -> bool:
    """Unhide a series; with ``until``, only if its snooze still ends then."""
    query = series_hides.delete().where(
        series_hides.c.context_id == context_id, series_hides.c.series_id == series_id
    )
    if until is not None:
        query = query.where(series_hides.c.hidden_until == until)
    return bool((await conn.execute(query)).rowcount)


async def lock_series(
    conn: AsyncConnection, context_id: str, series_id: str
) -> list[dict[str, Any]]:
    """Every item of the series in the context, locked, in content id order (so that two
    writers lock them in the same order)."""
    result = await conn.execute(
        select(items)
        .where(items.c.context_id == context_id, items.c.series_id == series_id)
        .order_by(items.c.content_id)
        .with_for_update()
    )
    return [dict(row) for row in result.mappings()]


async def put_item_snooze(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await upsert(conn, item_snoozes, values, keys=["context_id", "content_id"])


async def delete_item_snoozes(
    conn: AsyncConnection, context_id: str, content_ids: Sequence[str]
) -> None:
    if content_ids:
        await conn.execute(
            item_snoozes.delete().where(
                item_snoozes.c.context_id == context_id,
                item_snoozes.c.content_id.in_(content_ids),
            )
        )


async def due_series_hides(conn: AsyncConnection, now: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` series snoozes that have ended by ``now``."""
    result = await conn.execute(
        select(series_hides)
        .where(series_hides.c.hidden_until.is_not(None), series_hides.c.hidden_until <= now)
        .order_by(series_hides.c.hidden_until)
        .limit(limit)
    )
    return [dict(row) for row in result.mappings()]


async def due_item_snoozes(conn: AsyncConnection, now: int, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` item snoozes that have ended by ``now``."""
    result = await conn.execute(
        select(item_snoozes)
        .where(item_snoozes.c.hidden_until <= now)
        .order_by(item_snoozes.c.hidden_until)
        .limit(limit)
    )
    return [dict(row) for row in result.mappings()]


async def delete_item_snooze(
    conn: AsyncConnection, context_id: str, content_id: str, until: int
) -> bool:
    """Forget an ended snooze, if it still ends at ``until`` (not renewed meanwhile)."""
    result = await conn.execute(
        item_snoozes.delete().where(
            item_snoozes.c.context_id == context_id,
            item_snoozes.c.content_id == content_id,
            item_snoozes.c.hidden_until == until,
        )
    )
    return bool(result.rowcount)
