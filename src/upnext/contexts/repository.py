"""All SQL of contexts and their items, including the newest-first list over many contexts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, RowMapping, func, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.tables import apps, contexts, items, session_contexts, webhook_deliveries
from upnext.kit.pagination import Page
from upnext.kit.sql import insert_ignore, upsert


async def get_context(conn: AsyncConnection, context_id: str) -> RowMapping | None:
    result = await conn.execute(select(contexts).where(contexts.c.context_id == context_id))
    return result.mappings().first()


async def insert_context(conn: AsyncConnection, context_id: str, app_id: str, now: int) -> None:
    """Create the context unless it exists (a concurrent first write may have won)."""
    values = {"context_id": context_id, "app_id": app_id, "created_at": now, "version": 0}
    await insert_ignore(conn, contexts, values, keys=["context_id"])


async def bump_version(conn: AsyncConnection, context_id: str) -> None:
    await conn.execute(
        update(contexts)
        .where(contexts.c.context_id == context_id)
        .values(version=contexts.c.version + 1)
    )


async def put_item(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Insert or replace an item; ``hidden`` of None keeps a stored item's flag."""
    keep_hidden = values.get("hidden") is None
    row = {**values, "hidden": bool(values.get("hidden"))}
    changed = [c for c in row if c not in ("context_id", "content_id")]
    if keep_hidden:
        changed.remove("hidden")
    await upsert(conn, items, row, keys=["context_id", "content_id"], update=changed)


async def get_item(conn: AsyncConnection, context_id: str, content_id: str) -> RowMapping | None:
    result = await conn.execute(
        select(items).where(items.c.context_id == context_id, items.c.content_id == content_id)
    )
    return result.mappings().first()


async def set_hidden(conn: AsyncConnection, context_id: str, content_id: str, hidden: bool) -> None:
    await conn.execute(
        update(items)
        .where(items.c.context_id == context_id, items.c.content_id == content_id)
        .values(hidden=hidden)
    )


async def delete_item(conn: AsyncConnection, context_id: str, content_id: str) -> bool:
    result = await conn.execute(
        items.delete().where(items.c.context_id == context_id, items.c.content_id == content_id)
    )
    return bool(result.rowcount)


def _newest(context_id: str, count: int) -> Any:
    # Matches ix_items_context_recent read backwards: a range scan that stops after count.
    return (
        select(items)
        .where(items.c.context_id == context_id)
        .order_by(items.c.updated_at.desc(), items.c.content_id.desc())
        .limit(count)
    )


async def list_items(
    conn: AsyncConnection, context_ids: Sequence[str], page: Page
) -> tuple[list[Row[Any]], int]:
    """A page of the items of ``context_ids`` merged newest first, and their total.

    Each context contributes at most ``offset + limit`` rows from its own index range, so
    the cost follows the page asked for and the number of contexts, not the items stored.
    Ties on ``updated_at`` are broken by context and content id, the same on every page.
    """
    if not context_ids:
        return [], 0
    total = await conn.scalar(
        select(func.count()).select_from(items).where(items.c.context_id.in_(context_ids))
    )
    if not total or page.offset >= total:
        return [], int(total or 0)
    if len(context_ids) == 1:
        query = _newest(context_ids[0], page.limit).offset(page.offset)
    else:
        depth = page.offset + page.limit
        merged = union_all(*(select(_newest(c, depth).subquery()) for c in context_ids)).subquery()
        query = (
            select(merged)
            .order_by(
                merged.c.updated_at.desc(), merged.c.context_id.desc(), merged.c.content_id.desc()
            )
            .limit(page.limit)
            .offset(page.offset)
        )
    rows = (await conn.execute(query)).all()
    return list(rows), int(total)


async def count_items(conn: AsyncConnection, context_id: str) -> int:
    count = await conn.scalar(
        select(func.count()).select_from(items).where(items.c.context_id == context_id)
    )
    return int(count or 0)


async def erase_context(conn: AsyncConnection, context_id: str) -> None:
    """Delete the context, its items, its attachments to sessions and its webhook events."""
    await conn.execute(
        webhook_deliveries.delete().where(webhook_deliveries.c.context_id == context_id)
    )
    await conn.execute(session_contexts.delete().where(session_contexts.c.context_id == context_id))
    await conn.execute(items.delete().where(items.c.context_id == context_id))
    await conn.execute(contexts.delete().where(contexts.c.context_id == context_id))


async def app_guidelines(conn: AsyncConnection, app_id: str) -> str | None:
    """The app's Publisher Guidelines thresholds as stored JSON (None: the defaults)."""
    result = await conn.scalar(select(apps.c.guidelines).where(apps.c.app_id == app_id))
    return None if result is None else str(result)
