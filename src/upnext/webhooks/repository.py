"""All SQL of webhook deliveries and their attempts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.tables import webhook_deliveries


async def insert_delivery(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(webhook_deliveries.insert().values(values))
