"""All SQL of contexts and their items, including the newest-first list over many contexts."""

from __future__ import annotations

import functools
import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.contexts.schemas import ITEM_COLUMNS
from upnext.db.statements import Statement
from upnext.db.tables import apps, contexts, items, session_contexts, webhook_deliveries
from upnext.kit.pagination import Page
from upnext.kit.sql import insert_ignore


@dataclass(frozen=True)
class ListView:
    """Which stored items a list shows at ``now`` (docs/extensions.md).

    ``max_age_us``: items untouched for longer are hidden (None keeps them forever).
    ``per_series``: only the newest item of each series of each app.
    ``per_app_limit``: at most this many items of each app.
    """

    now: int
    max_age_us: int | None = None
    per_series: bool = False
    per_app_limit: int | None = None

    @property
    def shaped(self) -> bool:
        return self.per_series or self.per_app_limit is not None


# Every item write runs these: on the driver (db.statements).
_CONTEXT = Statement(select(contexts).where(contexts.c.context_id == bindparam("context_id")))
_BUMP = Statement(
    update(contexts)
    .where(contexts.c.context_id == bindparam("context_id"))
    .values(version=contexts.c.version + 1)
)
_COUNT = Statement(
    select(func.count()).select_from(items).where(items.c.context_id == bindparam("context_id"))
)


async def get_context(conn: AsyncConnection, context_id: str) -> dict[str, Any] | None:
    return await _CONTEXT.first(conn, {"context_id": context_id})


async def insert_context(conn: AsyncConnection, context_id: str, app_id: str, now: int) -> None:
    """Create the context unless it exists (a concurrent first write may have won)."""
    values = {"context_id": context_id, "app_id": app_id, "created_at": now, "version": 0}
    await insert_ignore(conn, contexts, values, keys=["context_id"])


async def bump_version(conn: AsyncConnection, context_id: str) -> None:
    await _BUMP.change(conn, {"context_id": context_id})


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
    ).returning(items.c.content_id)  # rowcount is -1 for upserts on psycopg
    return Statement(upsert)


async def put_item(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """Insert or replace an item; False when the stored item has a newer ``event_time``.

    ``hidden`` of None keeps a stored item's flag; an ``event_time`` of None keeps the
    stored one. The comparison happens inside the upsert, under the row lock, so of
    concurrent writers the newest always wins on SQLite and PostgreSQL alike.
    """
    keep_hidden = values.get("hidden") is None
    row = {**values, "hidden": bool(values.get("hidden"))}
    statement = _upsert_item(conn.dialect.name, tuple(row), keep_hidden)
    return bool(await statement.rows(conn, row))


_ITEM_KEY = and_(
    items.c.context_id == bindparam("context_id"), items.c.content_id == bindparam("content_id")
)
_ITEM = Statement(select(items).where(_ITEM_KEY))
_SET_HIDDEN = Statement(
    update(items)
    .where(_ITEM_KEY, items.c.hidden != bindparam("flag"))
    .values(hidden=bindparam("flag"))
)


async def get_item(
    conn: AsyncConnection, context_id: str, content_id: str
) -> dict[str, Any] | None:
    return await _ITEM.first(conn, {"context_id": context_id, "content_id": content_id})


async def set_hidden(conn: AsyncConnection, context_id: str, content_id: str, hidden: bool) -> bool:
    """Whether this statement changed the flag: of two concurrent identical requests, the
    second waits for the first's row lock, then finds nothing left to change."""
    params = {"context_id": context_id, "content_id": content_id, "flag": hidden}
    return bool(await _SET_HIDDEN.change(conn, params))


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


def _visible(view: ListView) -> ColumnElement[bool]:
    """Not past its ``expires_at`` and, with a retention, touched recently enough."""
    alive = or_(items.c.expires_at.is_(None), items.c.expires_at > view.now)
    if view.max_age_us is None:
        return alive
    return and_(alive, items.c.updated_at > view.now - view.max_age_us)


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


def _shaped(context_ids: Sequence[str], view: ListView) -> Any:
    """The visible items with per_series / per_app_limit applied, as a subquery."""
    newest_first = (items.c.updated_at.desc(), items.c.context_id.desc(), items.c.content_id.desc())
    # An item without series_id is a series of its own: NULLs partition together, so the
    # content id joins the partition only for those.
    own_series = case((items.c.series_id.is_(None), items.c.content_id))
    series_rank = func.row_number().over(
        partition_by=(items.c.app_id, items.c.series_id, own_series), order_by=newest_first
    )
    ranked = (
        select(items, series_rank.label("series_rank"))
        .where(items.c.context_id.in_(context_ids), _visible(view))
        .subquery()
    )
    kept = select(*(ranked.c[c.name] for c in items.c))
    if view.per_series:
        kept = kept.where(ranked.c.series_rank == 1)
    if view.per_app_limit is None:
        return kept.subquery()
    inner = kept.subquery()
    app_rank = func.row_number().over(
        partition_by=inner.c.app_id,
        order_by=(inner.c.updated_at.desc(), inner.c.context_id.desc(), inner.c.content_id.desc()),
    )
    ranked_apps = select(inner, app_rank.label("app_rank")).subquery()
    return (
        select(*(ranked_apps.c[c.name] for c in items.c))
        .where(ranked_apps.c.app_rank <= view.per_app_limit)
        .subquery()
    )


async def _shaped_page(
    conn: AsyncConnection, context_ids: Sequence[str], page: Page, view: ListView
) -> tuple[list[Row[Any]], int]:
    shaped = _shaped(context_ids, view)
    total = int(await conn.scalar(select(func.count()).select_from(shaped)) or 0)
    if page.offset >= total:
        return [], total
    query = (
        select(shaped)
        .order_by(
            shaped.c.updated_at.desc(), shaped.c.context_id.desc(), shaped.c.content_id.desc()
        )
        .limit(page.limit)
        .offset(page.offset)
    )
    return list((await conn.execute(query)).all()), total


def _visible_bound(retention: bool) -> ColumnElement[bool]:
    """``_visible`` with ``:now`` (and ``:cutoff``) as bound parameters, for cached queries."""
    alive = or_(items.c.expires_at.is_(None), items.c.expires_at > bindparam("now"))
    return and_(alive, items.c.updated_at > bindparam("cutoff")) if retention else alive


_NEWEST_FIRST = (items.c.updated_at.desc(), items.c.content_id.desc())
_UPDATED_AT, _CONTEXT_ID, _CONTENT_ID = (
    ITEM_COLUMNS.index(name) for name in ("updated_at", "context_id", "content_id")
)


def _newest_bound(context: Any, retention: bool) -> Any:
    """The newest ``:depth`` visible items of one context: a range scan of
    ix_items_context_recent read backwards, stopping after ``depth`` rows."""
    return (
        select(items)
        .where(items.c.context_id == context, _visible_bound(retention))
        .order_by(*_NEWEST_FIRST)
        .limit(bindparam("depth"))
    )


@functools.cache
def _context_newest(retention: bool) -> Statement:
    return Statement(_newest_bound(bindparam("context_id"), retention))


@functools.cache
def _context_total(retention: bool) -> Statement:
    return Statement(
        select(func.count())
        .select_from(items)
        .where(items.c.context_id == bindparam("context_id"), _visible_bound(retention))
    )


@functools.cache
def _merged_page(contexts: int, retention: bool) -> Statement:
    """The page of ``contexts`` contexts merged newest first, with the list's total.

    Built once per shape: building a union of subqueries costs more than running it. Each
    context contributes its newest ``:depth`` rows from its own index range; the total
    rides along as a column, so a page is one round trip.
    """
    ids: list[Any] = [bindparam(f"c{i}") for i in range(contexts)]
    newest = [_newest_bound(context, retention).subquery() for context in ids]
    merged = union_all(*(select(n) for n in newest)).subquery() if contexts > 1 else newest[0]
    total = (
        select(func.count())
        .select_from(items)
        .where(items.c.context_id.in_(ids), _visible_bound(retention))
        .scalar_subquery()
    )
    return Statement(
        select(merged, total.label("list_total"))
        .order_by(
            merged.c.updated_at.desc(), merged.c.context_id.desc(), merged.c.content_id.desc()
        )
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@functools.cache
def _merged_total(contexts: int, retention: bool) -> Statement:
    ids: list[Any] = [bindparam(f"c{i}") for i in range(contexts)]
    return Statement(
        select(func.count())
        .select_from(items)
        .where(items.c.context_id.in_(ids), _visible_bound(retention))
    )


def _newest_key(row: Sequence[Any]) -> tuple[Any, ...]:
    return row[_UPDATED_AT], row[_CONTEXT_ID], row[_CONTENT_ID]


async def _page_in_process(
    conn: AsyncConnection, context_ids: Sequence[str], page: Page, params: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], int]:
    """SQLite: one range scan per context, merged here. In-process there is no round trip
    to save, and SQLite's union-then-sort costs twice as much as these scans plus a merge.
    A context with fewer rows than ``depth`` has just told its total; only longer ones are
    counted."""
    retention = "cutoff" in params
    newest, count = _context_newest(retention), _context_total(retention)
    lists, total = [], 0
    for context_id in context_ids:
        rows = await newest.rows(conn, {**params, "context_id": context_id})
        lists.append(rows)
        if len(rows) < params["depth"]:
            total += len(rows)
        else:
            counted = await count.rows(conn, {**params, "context_id": context_id})
            total += int(counted[0][0])
    merged = heapq.merge(*lists, key=_newest_key, reverse=True)
    return list(itertools.islice(merged, page.offset, page.offset + page.limit)), total


async def list_items(
    conn: AsyncConnection, context_ids: Sequence[str], page: Page, view: ListView
) -> tuple[list[Any], int]:
    """A page of the visible items of ``context_ids`` merged newest first, and their total.

    Rows hold ``ITEM_COLUMNS`` first. Each context contributes at most ``offset + limit``
    rows from its own index range, so the cost follows the page asked for and the number
    of contexts, not the items stored. Ties on ``updated_at`` are broken by context and
    content id, the same on every page. Every rule of what a list shows (expiry,
    retention, per_series, per_app_limit) is here, so that there is one place to optimise.
    """
    if not context_ids:
        return [], 0
    if view.shaped:
        return await _shaped_page(conn, context_ids, page, view)
    params: dict[str, Any] = {"now": view.now, "depth": page.offset + page.limit}
    if view.max_age_us is not None:
        params["cutoff"] = view.now - view.max_age_us
    if conn.dialect.name == "sqlite":
        return await _page_in_process(conn, context_ids, page, params)
    retention = view.max_age_us is not None
    params.update({f"c{i}": c for i, c in enumerate(context_ids)})
    params.update(limit=page.limit, offset=page.offset)
    rows = await _merged_page(len(context_ids), retention).rows(conn, params)
    if rows:
        return rows, int(rows[0][-1])
    # An empty page (past the end, or nothing visible) still reports the true total.
    counted = await _merged_total(len(context_ids), retention).rows(conn, params)
    return [], int(counted[0][0])


async def app_guidelines(conn: AsyncConnection, app_id: str) -> str | None:
    """The app's Publisher Guidelines thresholds as stored JSON (None: the defaults)."""
    result = await conn.scalar(select(apps.c.guidelines).where(apps.c.app_id == app_id))
    return None if result is None else str(result)


async def count_items(conn: AsyncConnection, context_id: str) -> int:
    rows = await _COUNT.rows(conn, {"context_id": context_id})
    return int(rows[0][0])


async def erase_context(conn: AsyncConnection, context_id: str) -> None:
    """Delete the context, its items, its attachments to sessions and its webhook events."""
    await conn.execute(
        webhook_deliveries.delete().where(webhook_deliveries.c.context_id == context_id)
    )
    await conn.execute(session_contexts.delete().where(session_contexts.c.context_id == context_id))
    await conn.execute(items.delete().where(items.c.context_id == context_id))
    await conn.execute(contexts.delete().where(contexts.c.context_id == context_id))
