"""All SQL of handoff tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.tables import handoffs


async def insert_handoff(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(handoffs.insert().values(values))


async def mark_used(conn: AsyncConnection, token_hash: str, platform_id: str, now: int) -> bool:
    """Use the token if it is still redeemable by ``platform_id``; whether it was.

    One conditional UPDATE: of any number of concurrent redeems exactly one matches the
    row while ``used_at`` is NULL (PostgreSQL re-checks the condition after the row lock,
    SQLite runs writers one at a time), so a token works once.
    """
    result = await conn.execute(
        update(handoffs)
        .where(
            handoffs.c.token_hash == token_hash,
            handoffs.c.used_at.is_(None),
            handoffs.c.expires_at > now,
            or_(handoffs.c.platform_id.is_(None), handoffs.c.platform_id == platform_id),
        )
        .values(used_at=now)
    )
    return result.rowcount == 1


async def get_handoff(conn: AsyncConnection, token_hash: str) -> RowMapping | None:
    result = await conn.execute(select(handoffs).where(handoffs.c.token_hash == token_hash))
    return result.mappings().first()


async def purge_expired(conn: AsyncConnection, now: int, limit: int) -> int:
    """Delete up to ``limit`` handoffs past their expiry, used or not; how many."""
    expired = select(handoffs.c.token_hash).where(handoffs.c.expires_at <= now).limit(limit)
    result = await conn.execute(handoffs.delete().where(handoffs.c.token_hash.in_(expired)))
    return int(result.rowcount or 0)
