"""SQL the operations endpoints need: the schema revision and the webhook queue."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.tables import webhook_deliveries


async def schema_revision(conn: AsyncConnection) -> str | None:
    result = await conn.execute(text("SELECT version_num FROM alembic_version"))
    return result.scalar_one_or_none()


async def pending_deliveries(conn: AsyncConnection) -> int:
    count = await conn.scalar(
        select(func.count())
        .select_from(webhook_deliveries)
        .where(webhook_deliveries.c.status == "pending")
    )
    return int(count or 0)
