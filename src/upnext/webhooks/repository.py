"""All SQL of webhook deliveries, their attempts and their owners' URLs and secrets."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, exists, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.statements import Statement
from upnext.db.tables import (
    avails,
    contexts,
    platforms,
    session_contexts,
    webhook_attempts,
    webhook_deliveries,
    webhook_secrets,
)
from upnext.kit.pagination import Page
from upnext.webhooks import owners
from upnext.webhooks.owners import Owner

d = webhook_deliveries

# deliveries


@functools.cache
def _insert_delivery(columns: tuple[str, ...]) -> Statement:
    return Statement(d.insert().values({name: bindparam(name) for name in columns}))


async def insert_delivery(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Every hide queues one: on the driver (db.statements)."""
    await _insert_delivery(tuple(values)).change(conn, values)


async def get_delivery(conn: AsyncConnection, owner: Owner, delivery_id: str) -> RowMapping | None:
    query = select(d).where(d.c[owner.column] == owner.id, d.c.delivery_id == delivery_id)
    return (await conn.execute(query)).mappings().first()


async def list_deliveries(
    conn: AsyncConnection, owner: Owner, status: str | None, page: Page
) -> tuple[list[RowMapping], int]:
    where = d.c[owner.column] == owner.id
    if status is not None:
        where = and_(where, d.c.status == status)
    total = await conn.scalar(select(func.count()).select_from(d).where(where))
    result = await conn.execute(
        select(d)
        .where(where)
        .order_by(d.c.created_at.desc(), d.c.delivery_id.desc())
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(result.mappings()), int(total or 0)


async def update_delivery(
    conn: AsyncConnection, delivery_id: str, values: dict[str, Any], *, claim: int | None = None
) -> bool:
    """Update a delivery; with ``claim``, only while that claim still holds it."""
    query = update(d).where(d.c.delivery_id == delivery_id)
    if claim is not None:
        query = query.where(d.c.claimed_until == claim)
    result = await conn.execute(query.values(values))
    return bool(result.rowcount)


def _due(now: int) -> Any:
    """Pending, due, and unclaimed (or claimed by a worker whose lease ran out)."""
    return and_(
        d.c.status == "pending",
        d.c.next_attempt_at <= now,
        or_(d.c.claimed_until.is_(None), d.c.claimed_until < now),
    )


_OWNER_TABLES = [(owners.table_of(kind), owners.column_of(kind)) for kind in owners.KINDS]

# The id of a delivery's owner (app or platform; their ids never collide).
_OWNER_ID = func.coalesce(d.c.app_id, d.c.platform_id)


def _receives(kind: owners.Kind, now: int) -> Any:
    """The delivery's owner is of ``kind``, has a URL that no 410 disabled, and a signing
    secret."""
    table, column = owners.table_of(kind), owners.column_of(kind)
    endpoint = exists().where(
        table.c[column] == d.c[column],
        table.c.webhook_url.is_not(None),
        table.c.webhook_disabled_at.is_(None),
    )
    secret = exists().where(
        webhook_secrets.c[column] == d.c[column],
        or_(webhook_secrets.c.expires_at.is_(None), webhook_secrets.c.expires_at > now),
    )
    return and_(d.c[column].is_not(None), endpoint, secret)


def _owner_receives(now: int) -> Any:
    """The delivery's owner (app or platform) can receive it now."""
    return or_(*(_receives(kind, now) for kind in owners.KINDS))


async def due(
    conn: AsyncConnection, now: int, limit: int, skip_owners: Iterable[str]
) -> list[RowMapping]:
    """Up to ``limit`` deliveries that are due and whose owner can receive, oldest due
    first, leaving out ``skip_owners`` (endpoints already busy in this worker). A plain
    read: the claim re-checks each row, so a worker never takes the write lock just to look."""
    query = (
        select(d.c.delivery_id, _OWNER_ID.label("owner_id"))
        .where(_due(now), _owner_receives(now))
        .order_by(d.c.next_attempt_at)
        .limit(limit)
    )
    skip = list(skip_owners)
    if skip:
        query = query.where(_OWNER_ID.not_in(skip))
    return list((await conn.execute(query)).mappings())


async def claim_due(
    conn: AsyncConnection, delivery_ids: Iterable[str], now: int, claim: int
) -> list[RowMapping]:
    """Lease those of ``delivery_ids`` that are still due until ``claim``; return them.

    ``FOR UPDATE SKIP LOCKED`` lets several processes on PostgreSQL claim at once: a row
    another worker is claiming is skipped, and one it has claimed is no longer due when
    re-checked. SQLite ignores it and serializes the claim on its single writer instead.
    A claimed session_changed takes no more changes (its ``coalesce_key`` is cleared): a
    change from now on opens a new event, and a row being coalesced into (locked by the
    writer) is skipped until that writer commits.
    """
    still_due = (
        select(d.c.delivery_id)
        .where(d.c.delivery_id.in_(list(delivery_ids)), _due(now))
        .with_for_update(skip_locked=True)
    )
    result = await conn.execute(
        update(d)
        .where(d.c.delivery_id.in_(still_due.scalar_subquery()))
        .values(claimed_until=claim, coalesce_key=None)
        .returning(
            d.c.delivery_id,
            _OWNER_ID.label("owner_id"),
            d.c.event_type,
            d.c.payload,
            d.c.attempt_count,
        )
    )
    return list(result.mappings())


# Deliveries of an owner that cannot receive are parked (pending, next_attempt_at NULL):
# out of the due range of the index, so thousands of them cost the polling nothing.
#
# Parking must never undo a concurrent unpark (an owner gaining a URL or a secret): it
# locks the owners' rows first, as every configuration change does, and decides in a
# statement that starts after the lock, so it sees any configuration that committed
# meanwhile.


async def owners_to_park(conn: AsyncConnection, now: int) -> list[str]:
    query = select(_OWNER_ID).where(_due(now), ~_owner_receives(now)).distinct().limit(100)
    return list((await conn.execute(query)).scalars())


async def lock_owners(conn: AsyncConnection, owner_ids: Iterable[str]) -> None:
    """Lock the owners' rows (PostgreSQL) against concurrent configuration changes.

    ``FOR NO KEY UPDATE``: it excludes the other configuration changes and parks, as
    intended, but not the key-share locks a write takes on the owner's row when it queues
    an event (the foreign key). With ``FOR UPDATE`` a park and a write queueing events
    for two sessions of one platform deadlocked under load (the benchmark found it)."""
    ids = sorted(owner_ids)
    for table, column in _OWNER_TABLES:
        await conn.execute(
            select(table.c[column])
            .where(table.c[column].in_(ids))
            .order_by(table.c[column])
            .with_for_update(key_share=True)
        )


def _owned_by(owner_ids: Iterable[str]) -> Any:
    ids = list(owner_ids)
    return or_(d.c.app_id.in_(ids), d.c.platform_id.in_(ids))


async def park(conn: AsyncConnection, owner_ids: Iterable[str], now: int) -> None:
    """Park the owners' due deliveries that cannot be received. A delivery a write has
    locked (coalescing a session's open event) is passed by: the next park takes it, and
    a park waiting on it while the write waits on another the park holds would deadlock."""
    parked = (
        select(d.c.delivery_id)
        .where(_owned_by(owner_ids), _due(now), ~_owner_receives(now))
        .with_for_update(skip_locked=True)
    )
    await conn.execute(
        update(d).where(d.c.delivery_id.in_(parked.scalar_subquery())).values(next_attempt_at=None)
    )


async def unpark(conn: AsyncConnection, owner: Owner, now: int) -> None:
    """Make the owner's parked deliveries due: it may be able to receive them now."""
    await conn.execute(
        update(d)
        .where(
            d.c[owner.column] == owner.id,
            d.c.status == "pending",
            d.c.next_attempt_at.is_(None),
        )
        .values(next_attempt_at=now)
    )


async def owner_exists(conn: AsyncConnection, owner: Owner) -> bool:
    table = owner.table
    found = await conn.scalar(
        select(table.c[owner.column]).where(table.c[owner.column] == owner.id)
    )
    return found is not None


async def set_endpoint(conn: AsyncConnection, owner: Owner, url: str | None) -> None:
    """Set or clear the owner's URL; setting one re-enables an endpoint a 410 disabled."""
    table = owner.table
    await conn.execute(
        update(table)
        .where(table.c[owner.column] == owner.id)
        .values(webhook_url=url, webhook_disabled_at=None)
    )


async def renew(conn: AsyncConnection, leases: dict[str, int], claim: int) -> set[str]:
    """Extend the leases (delivery id -> the claim that holds it) to ``claim``; the ids of
    those renewed. A delivery whose lease ran out and was taken by another worker, or that
    is no longer there, keeps what it has: its claim no longer matches."""
    pairs = list(leases.items())
    result = await conn.execute(
        update(d)
        .where(tuple_(d.c.delivery_id, d.c.claimed_until).in_(pairs))
        .values(claimed_until=claim)
        .returning(d.c.delivery_id)
    )
    return set(result.scalars())


async def release(conn: AsyncConnection, delivery_ids: Iterable[str], claim: int) -> None:
    """Give claimed deliveries back unattempted, those the lease ``claim`` still holds."""
    await conn.execute(
        update(d)
        .where(d.c.delivery_id.in_(list(delivery_ids)), d.c.claimed_until == claim)
        .values(claimed_until=None)
    )


# attempts


async def insert_attempt(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(webhook_attempts.insert().values(values))


async def attempts_of(
    conn: AsyncConnection, delivery_ids: Iterable[str]
) -> dict[str, list[RowMapping]]:
    a = webhook_attempts
    result = await conn.execute(
        select(a)
        .where(a.c.delivery_id.in_(list(delivery_ids)))
        .order_by(a.c.attempted_at, a.c.attempt_id)
    )
    attempts: dict[str, list[RowMapping]] = defaultdict(list)
    for row in result.mappings():
        attempts[row["delivery_id"]].append(row)
    return attempts


# endpoints and secrets


async def endpoints_of(conn: AsyncConnection, owner_ids: Iterable[str]) -> dict[str, str]:
    """The webhook URL of each owner (app or platform) that has one and is not disabled."""
    ids = list(owner_ids)
    urls: dict[str, str] = {}
    for table, column in _OWNER_TABLES:
        result = await conn.execute(
            select(table.c[column], table.c.webhook_url).where(
                table.c[column].in_(ids),
                table.c.webhook_url.is_not(None),
                table.c.webhook_disabled_at.is_(None),
            )
        )
        urls.update({row[0]: row[1] for row in result})
    return urls


async def disable_endpoint(conn: AsyncConnection, owner_id: str, url: str, now: int) -> None:
    """Disable the owner's endpoint, unless it has meanwhile set another URL."""
    for table, column in _OWNER_TABLES:
        await conn.execute(
            update(table)
            .where(table.c[column] == owner_id, table.c.webhook_url == url)
            .values(webhook_disabled_at=now)
        )


_SECRET_OWNER = func.coalesce(webhook_secrets.c.app_id, webhook_secrets.c.platform_id)


async def active_secrets(
    conn: AsyncConnection, owner_ids: Iterable[str], now: int
) -> dict[str, list[str]]:
    """The secrets each owner signs with now, newest first."""
    s = webhook_secrets
    ids = list(owner_ids)
    result = await conn.execute(
        select(_SECRET_OWNER, s.c.secret)
        .where(
            or_(s.c.app_id.in_(ids), s.c.platform_id.in_(ids)),
            or_(s.c.expires_at.is_(None), s.c.expires_at > now),
        )
        .order_by(s.c.created_at.desc(), s.c.secret_id.desc())
    )
    keys: dict[str, list[str]] = defaultdict(list)
    for owner_id, secret in result:
        keys[owner_id].append(secret)
    return keys


async def retire_secrets(conn: AsyncConnection, owner: Owner, expires_at: int) -> None:
    """Give the owner's current secret(s) a deadline: they keep signing until then."""
    s = webhook_secrets
    await conn.execute(
        update(s)
        .where(s.c[owner.column] == owner.id, s.c.expires_at.is_(None))
        .values(expires_at=expires_at)
    )


async def insert_secret(conn: AsyncConnection, owner: Owner, secret: str, now: int) -> None:
    await conn.execute(
        webhook_secrets.insert().values(
            {owner.column: owner.id, "secret": secret, "created_at": now}
        )
    )


# session_changed: who hears of a change, and the one open event of each session


# Every item write runs this (webhooks.session_events): the sessions whose aggregated list
# shows ``context_id``, of platforms that have a webhook URL. An index probe of
# ix_session_contexts_context_id and a primary-key look-up of each attachment's platform
# and avail; with no platform URL set it returns nothing, and no other statement runs.
_WATCHING = Statement(
    select(session_contexts.c.platform_id, session_contexts.c.session_id)
    .select_from(session_contexts)
    .join(platforms, platforms.c.platform_id == session_contexts.c.platform_id)
    .join(
        avails,
        and_(
            avails.c.app_id == session_contexts.c.app_id,
            avails.c.platform_id == session_contexts.c.platform_id,
        ),
    )
    .where(
        session_contexts.c.context_id == bindparam("context_id"),
        platforms.c.webhook_url.is_not(None),
        avails.c.enabled.is_(True),
    )
    .order_by(session_contexts.c.platform_id, session_contexts.c.session_id)
)


async def sessions_watching(conn: AsyncConnection, context_id: str) -> list[tuple[str, str]]:
    """(platform_id, session_id) of each session to tell, in lock order."""
    return [(row[0], row[1]) for row in await _WATCHING.rows(conn, {"context_id": context_id})]


async def visible_to_hooked_platform(
    conn: AsyncConnection, platform_id: str, context_ids: Iterable[str]
) -> list[str]:
    """Those of ``context_ids`` whose app the platform sees, if it has a webhook URL."""
    query = (
        select(contexts.c.context_id)
        .select_from(contexts)
        .join(platforms, platforms.c.platform_id == platform_id)
        .join(
            avails,
            and_(avails.c.app_id == contexts.c.app_id, avails.c.platform_id == platform_id),
        )
        .where(
            contexts.c.context_id.in_(list(context_ids)),
            platforms.c.webhook_url.is_not(None),
            avails.c.enabled.is_(True),
        )
    )
    return list((await conn.execute(query)).scalars())


async def sessions_of_switched_avail(
    conn: AsyncConnection, app_id: str, platform_id: str, enabled: bool
) -> list[tuple[str, str]]:
    """(session_id, context_id) of the platform's sessions showing a context of the app,
    if the platform has a webhook URL and the avail is about to change to ``enabled``."""
    current = func.coalesce(avails.c.enabled, False)
    query = (
        select(session_contexts.c.session_id, session_contexts.c.context_id)
        .select_from(platforms)
        .join(
            session_contexts,
            and_(
                session_contexts.c.platform_id == platforms.c.platform_id,
                session_contexts.c.app_id == app_id,
            ),
        )
        .outerjoin(avails, and_(avails.c.app_id == app_id, avails.c.platform_id == platform_id))
        .where(
            platforms.c.platform_id == platform_id,
            platforms.c.webhook_url.is_not(None),
            current.is_not(enabled),
        )
        .order_by(session_contexts.c.session_id)
    )
    return [(row[0], row[1]) for row in await conn.execute(query)]


# Every write to a context a hooked platform's session shows runs these (session_events):
# compiled once, on the driver (db.statements); building them per call cost more than
# running them.
_OPEN_EVENT = Statement(
    select(d.c.delivery_id, d.c.payload)
    .where(d.c.coalesce_key == bindparam("coalesce_key"))
    .with_for_update()
)
_COALESCE = Statement(
    update(d)
    .where(d.c.delivery_id == bindparam("delivery_id"))
    .values(payload=bindparam("payload"), updated_at=bindparam("updated_at"))
)
_LAST_EVENT_AT = Statement(
    select(d.c.updated_at)
    .where(d.c.platform_id == bindparam("platform_id"), d.c.session_id == bindparam("session_id"))
    .order_by(d.c.created_at.desc())
    .limit(1)
)


async def open_session_event(conn: AsyncConnection, coalesce_key: str) -> dict[str, Any] | None:
    """The session's event that still takes changes, locked (PostgreSQL) against a claim:
    a worker's ``FOR UPDATE SKIP LOCKED`` passes it by until this transaction ends."""
    return await _OPEN_EVENT.first(conn, {"coalesce_key": coalesce_key})


async def coalesce(conn: AsyncConnection, delivery_id: str, payload: str, now: int) -> None:
    """Give the open event its merged payload."""
    params = {"delivery_id": delivery_id, "payload": payload, "updated_at": now}
    await _COALESCE.change(conn, params)


async def last_session_event_at(
    conn: AsyncConnection, platform_id: str, session_id: str
) -> int | None:
    """When the session's newest event last changed (was queued, coalesced or attempted)."""
    params = {"platform_id": platform_id, "session_id": session_id}
    found = await _LAST_EVENT_AT.rows(conn, params)
    return int(found[0][0]) if found else None


@functools.cache
def _insert_open(dialect: str, columns: tuple[str, ...]) -> Statement:
    statement = (sqlite if dialect == "sqlite" else postgresql).insert(d)
    statement = statement.values({name: bindparam(name) for name in columns})
    ignored = statement.on_conflict_do_nothing(index_elements=["coalesce_key"])
    return Statement(ignored.returning(d.c.delivery_id))


async def insert_open_event(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """Insert a session's open event unless another transaction just did; whether it did."""
    statement = _insert_open(conn.dialect.name, tuple(values))
    return bool(await statement.rows(conn, values))
