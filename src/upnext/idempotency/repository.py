"""All SQL of idempotency keys."""

from __future__ import annotations

from sqlalchemy import ColumnElement, RowMapping, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.tables import idempotency_keys as keys
from upnext.kit.sql import insert_ignore


def _key(owner: str, key: str) -> ColumnElement[bool]:
    return and_(keys.c.key_id == owner, keys.c.idempotency_key == key)


async def insert(conn: AsyncConnection, owner: str, key: str, fingerprint: str, now: int) -> bool:
    """Record a request in flight; False if the key is already taken."""
    values = {
        "key_id": owner,
        "idempotency_key": key,
        "request_hash": fingerprint,
        "created_at": now,
    }
    return await insert_ignore(conn, keys, values, keys=["key_id", "idempotency_key"])


async def get(conn: AsyncConnection, owner: str, key: str) -> RowMapping | None:
    result = await conn.execute(select(keys).where(_key(owner, key)))
    return result.mappings().first()


async def take_over(
    conn: AsyncConnection, owner: str, key: str, seen_at: int, fingerprint: str, now: int
) -> bool:
    """Reuse an expired or abandoned key, unless another request took it since ``seen_at``."""
    result = await conn.execute(
        update(keys)
        .where(_key(owner, key), keys.c.created_at == seen_at)
        .values(request_hash=fingerprint, status_code=None, response_body=None, created_at=now)
    )
    return bool(result.rowcount)


async def save(conn: AsyncConnection, owner: str, key: str, status: int, body: bytes) -> None:
    await conn.execute(
        update(keys).where(_key(owner, key)).values(status_code=status, response_body=body)
    )


async def delete(conn: AsyncConnection, owner: str, key: str) -> None:
    await conn.execute(keys.delete().where(_key(owner, key)))


async def purge(conn: AsyncConnection, before: int) -> int:
    """Forget keys created before ``before``; how many."""
    result = await conn.execute(keys.delete().where(keys.c.created_at < before))
    return result.rowcount or 0
