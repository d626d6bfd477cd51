"""All SQL of webhook deliveries, their attempts and the apps' signing secrets."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, exists, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.statements import Statement
from upnext.db.tables import apps, webhook_attempts, webhook_deliveries, webhook_secrets
from upnext.kit.pagination import Page

d = webhook_deliveries

# deliveries


@functools.cache
def _insert_delivery(columns: tuple[str, ...]) -> Statement:
    return Statement(d.insert().values({name: bindparam(name) for name in columns}))


async def insert_delivery(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Every hide queues one: on the driver (db.statements)."""
    await _insert_delivery(tuple(values)).change(conn, values)


async def get_delivery(conn: AsyncConnection, app_id: str, delivery_id: str) -> RowMapping | None:
    query = select(d).where(d.c.app_id == app_id, d.c.delivery_id == delivery_id)
    return (await conn.execute(query)).mappings().first()


async def list_deliveries(
    conn: AsyncConnection, app_id: str, status: str | None, page: Page
) -> tuple[list[RowMapping], int]:
    where = d.c.app_id == app_id
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


def _app_receives(now: int) -> Any:
    """The delivery's app has a URL that no 410 disabled, and a signing secret."""
    endpoint = exists().where(
        apps.c.app_id == d.c.app_id,
        apps.c.webhook_url.is_not(None),
        apps.c.webhook_disabled_at.is_(None),
    )
    secret = exists().where(
        webhook_secrets.c.app_id == d.c.app_id,
        or_(webhook_secrets.c.expires_at.is_(None), webhook_secrets.c.expires_at > now),
    )
    return and_(endpoint, secret)


async def due(
    conn: AsyncConnection, now: int, limit: int, skip_apps: Iterable[str]
) -> list[RowMapping]:
    """Up to ``limit`` deliveries that are due and whose app can receive, oldest due first,
    leaving out ``skip_apps`` (endpoints already busy in this worker). A plain read: the
    claim re-checks each row, so a worker never takes the write lock just to look."""
    query = (
        select(d.c.delivery_id, d.c.app_id)
        .where(_due(now), _app_receives(now))
        .order_by(d.c.next_attempt_at)
        .limit(limit)
    )
    skip = list(skip_apps)
    if skip:
        query = query.where(d.c.app_id.not_in(skip))
    return list((await conn.execute(query)).mappings())


async def claim_due(
    conn: AsyncConnection, delivery_ids: Iterable[str], now: int, claim: int
) -> list[RowMapping]:
    """Lease those of ``delivery_ids`` that are still due until ``claim``; return them.

    ``FOR UPDATE SKIP LOCKED`` lets several processes on PostgreSQL claim at once: a row
    another worker is claiming is skipped, and one it has claimed is no longer due when
    re-checked. SQLite ignores it and serializes the claim on its single writer instead.
    """
    still_due = (
        select(d.c.delivery_id)
        .where(d.c.delivery_id.in_(list(delivery_ids)), _due(now))
        .with_for_update(skip_locked=True)
    )
    result = await conn.execute(
        update(d)
        .where(d.c.delivery_id.in_(still_due.scalar_subquery()))
        .values(claimed_until=claim)
        .returning(d.c.delivery_id, d.c.app_id, d.c.event_type, d.c.payload, d.c.attempt_count)
    )
    return list(result.mappings())


# Deliveries of an app that cannot receive are parked (pending, next_attempt_at NULL):
# out of the due range of the index, so thousands of them cost the polling nothing.
#
# Parking must never undo a concurrent unpark (an app gaining a URL or a secret): it locks
# the apps' rows first, as every configuration change does, and decides in a statement
# that starts after the lock, so it sees any configuration that committed meanwhile.


async def apps_to_park(conn: AsyncConnection, now: int) -> list[str]:
    query = select(d.c.app_id).where(_due(now), ~_app_receives(now)).distinct().limit(100)
    return list((await conn.execute(query)).scalars())


async def lock_apps(conn: AsyncConnection, app_ids: Iterable[str]) -> None:
    """Lock the apps' rows (PostgreSQL) against concurrent configuration changes."""
    await conn.execute(
        select(apps.c.app_id)
        .where(apps.c.app_id.in_(list(app_ids)))
        .order_by(apps.c.app_id)
        .with_for_update()
    )


async def park(conn: AsyncConnection, app_ids: Iterable[str], now: int) -> None:
    await conn.execute(
        update(d)
        .where(d.c.app_id.in_(list(app_ids)), _due(now), ~_app_receives(now))
        .values(next_attempt_at=None)
    )


async def unpark(conn: AsyncConnection, app_id: str, now: int) -> None:
    """Make the app's parked deliveries due: it may be able to receive them now."""
    await conn.execute(
        update(d)
        .where(d.c.app_id == app_id, d.c.status == "pending", d.c.next_attempt_at.is_(None))
        .values(next_attempt_at=now)
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


async def endpoints_of(conn: AsyncConnection, app_ids: Iterable[str]) -> dict[str, str]:
    """The webhook URL of each app that has one and is not disabled."""
    result = await conn.execute(
        select(apps.c.app_id, apps.c.webhook_url).where(
            apps.c.app_id.in_(list(app_ids)),
            apps.c.webhook_url.is_not(None),
            apps.c.webhook_disabled_at.is_(None),
        )
    )
    return {row.app_id: row.webhook_url for row in result}


async def disable_endpoint(conn: AsyncConnection, app_id: str, url: str, now: int) -> None:
    """Disable the app's endpoint, unless the publisher has meanwhile set another URL."""
    await conn.execute(
        update(apps)
        .where(apps.c.app_id == app_id, apps.c.webhook_url == url)
        .values(webhook_disabled_at=now)
    )


async def active_secrets(
    conn: AsyncConnection, app_ids: Iterable[str], now: int
) -> dict[str, list[str]]:
    """The secrets each app signs with now, newest first."""
    s = webhook_secrets
    result = await conn.execute(
        select(s.c.app_id, s.c.secret)
        .where(s.c.app_id.in_(list(app_ids)), or_(s.c.expires_at.is_(None), s.c.expires_at > now))
        .order_by(s.c.created_at.desc(), s.c.secret_id.desc())
    )
    keys: dict[str, list[str]] = defaultdict(list)
    for row in result:
        keys[row.app_id].append(row.secret)
    return keys


async def retire_secrets(conn: AsyncConnection, app_id: str, expires_at: int) -> None:
    """Give the app's current secret(s) a deadline: they keep signing until then."""
    s = webhook_secrets
    await conn.execute(
        update(s)
        .where(s.c.app_id == app_id, s.c.expires_at.is_(None))
        .values(expires_at=expires_at)
    )


async def insert_secret(conn: AsyncConnection, app_id: str, secret: str, now: int) -> None:
    await conn.execute(
        webhook_secrets.insert().values(app_id=app_id, secret=secret, created_at=now)
    )
