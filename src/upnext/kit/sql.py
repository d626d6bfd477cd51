"""SQL statements that SQLAlchemy Core spells differently on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


async def upsert(
    conn: AsyncConnection,
    table: Table,
    values: Mapping[str, Any],
    keys: Iterable[str],
    update: Iterable[str] | None = None,
) -> None:
    """Insert ``values``, or update the row with the same ``keys`` in place.

    ``update`` names the columns an existing row takes from ``values`` (all non-key
    columns given when omitted).
    """
    key_columns = list(keys)
    columns = list(update) if update is not None else [c for c in values if c not in key_columns]
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(table).values(dict(values))
    if columns:
        statement = statement.on_conflict_do_update(
            index_elements=key_columns,
            set_={name: statement.excluded[name] for name in columns},
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=key_columns)
    await conn.execute(statement)


def insert_of(conn: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT for ``table``, which can take ``on_conflict_do_update``."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    return dialect.insert(table)


async def insert_ignore(
    conn: AsyncConnection, table: Table, values: Mapping[str, Any], keys: Iterable[str]
) -> bool:
    """Insert ``values`` unless a row with the same ``keys`` exists; whether it inserted."""
    key_columns = list(keys)
    statement = (
        insert_of(conn, table)
        .values(dict(values))
        .on_conflict_do_nothing(index_elements=key_columns)
        # RETURNING, not rowcount: psycopg reports -1 rows for INSERT ... ON CONFLICT.
        .returning(table.c[key_columns[0]])
    )
    result = await conn.execute(statement)
    return result.first() is not None
