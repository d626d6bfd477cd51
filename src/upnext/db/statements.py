"""Core statements compiled once and run on the driver's own connection: the hot read path.

SQLAlchemy's execution layer (compiled-cache lookup, parameter processing, result rows,
and on asyncio a greenlet switch per call) costs several times the indexed read it carries
on the list endpoints, which every TV home screen calls. A ``Statement`` keeps the query
written in SQLAlchemy Core, compiles it once per dialect and hands the SQL string and
parameters straight to the DBAPI connection under the caller's transaction: ``sqlite3``
called synchronously on an inline read connection (``db.inline``), psycopg's raw async
cursor on PostgreSQL. Rows come back as plain tuples in the statement's column order.
Any other driver goes through SQLAlchemy as usual.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.selectable import SelectBase

from upnext.db.inline import InlineConnection


@dataclass(frozen=True)
class Raw:
    """A driver connection held outside SQLAlchemy's pool (the lean reads, ``db.lean``),
    with the dialect its statements are compiled for."""

    driver: sqlite3.Connection | psycopg.AsyncConnection[Any]
    dialect: Dialect


Executor = AsyncConnection | Raw
"""Where a ``Statement`` runs: a SQLAlchemy connection's transaction, or a raw one."""


def dialect_of(conn: Executor) -> str:
    return conn.dialect.name


class Statement:
    """One Core statement, compiled per dialect on first use and run on the driver."""

    def __init__(self, query: Executable) -> None:
        self.query = query
        self._compiled: dict[str, _Compiled] = {}
        # For first(): the names of the columns a SELECT returns, read once.
        self._names = list(query.selected_columns.keys()) if isinstance(query, SelectBase) else []

    def _compile(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            assert isinstance(self.query, ClauseElement)
            if dialect.name == "postgresql":
                # $1 placeholders, sent as they are by psycopg's raw cursor: its own
                # conversion of %(name)s re-parses every query longer than its cache takes.
                dialect = cast(Any, type(dialect))(paramstyle="numeric_dollar")
            compiled = cast(SQLCompiler, self.query.compile(dialect=dialect))
            # Literal values the query carries (e.g. a constant LIMIT) under their own names.
            defaults = dict(compiled.construct_params(_check=False) or {})
            found = _Compiled(compiled.string, compiled.positiontup or [], defaults)
            self._compiled[dialect.name] = found
        return found

    async def rows(self, conn: Executor, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of the statement with ``params``, inside ``conn``'s transaction."""
        rows, _ = await self._execute(conn, params)
        return rows

    async def change(self, conn: Executor, params: Mapping[str, Any]) -> int:
        """Run a statement that returns no rows (UPDATE, DELETE); the rows it changed."""
        _, changed = await self._execute(conn, params)
        return changed

    async def _execute(
        self, conn: Executor, params: Mapping[str, Any]
    ) -> tuple[list[tuple[Any, ...]], int]:
        """The statement's rows (none for a statement without a result) and rowcount."""
        compiled = self._compile(conn.dialect)
        values = {**compiled.defaults, **params} if compiled.defaults else params
        driver = conn.driver if isinstance(conn, Raw) else await _driver(conn)
        positional = [values[name] for name in compiled.positions]
        try:
            if isinstance(driver, sqlite3.Connection):
                done = driver.execute(compiled.sql, positional)
                return done.fetchall(), done.rowcount
            if isinstance(driver, InlineConnection):
                return driver.run(compiled.sql, tuple(positional))
            if isinstance(driver, psycopg.AsyncConnection):
                async with psycopg.AsyncRawCursor(driver) as cursor:
                    await cursor.execute(compiled.sql, positional)
                    found = await cursor.fetchall() if cursor.description is not None else []
                    return list(found), cursor.rowcount
        # Driver errors as SQLAlchemy raises them (IntegrityError, OperationalError, ...),
        # so that the API's handlers answer them as they answer every other statement's: a
        # lost race is a 409 and an unavailable database a 503, never a 500.
        except sqlite3.Error as error:
            raise DBAPIError.instance(compiled.sql, positional, error, sqlite3.Error) from error
        except psycopg.Error as error:
            raise DBAPIError.instance(compiled.sql, positional, error, psycopg.Error) from error
        assert isinstance(conn, AsyncConnection)
        result = await conn.execute(self.query, values)
        found = [tuple(row) for row in result] if result.returns_rows else []
        return found, int(getattr(result, "rowcount", 0))

    def positional(self, dialect: Dialect, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL for ``dialect`` and its parameters in placeholder order."""
        compiled = self._compile(dialect)
        values = {**compiled.defaults, **params} if compiled.defaults else params
        return compiled.sql, [values[name] for name in compiled.positions]

    async def first(self, conn: Executor, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row as a mapping of column names, or None."""
        rows = await self.rows(conn, params)
        if not rows:
            return None
        return dict(zip(self._names, rows[0], strict=True))


async def pipelined(
    conn: Raw, calls: Sequence[tuple[Statement, Mapping[str, Any]]]
) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement. On PostgreSQL they go in one round trip (psycopg's
    pipeline mode: every statement is sent before any answer is awaited), so statements
    that do not depend on each other's answers cost one round trip between them; anywhere
    else they simply run one after another."""
    driver = conn.driver
    if not isinstance(driver, psycopg.AsyncConnection):
        return [await statement.rows(conn, params) for statement, params in calls]
    cursors, sql = [], ""
    try:
        async with driver.pipeline():
            for statement, params in calls:
                sql, positional = statement.positional(conn.dialect, params)
                cursor = psycopg.AsyncRawCursor(driver)
                await cursor.execute(sql, positional)
                cursors.append(cursor)
        return [list(await cursor.fetchall()) for cursor in cursors]
    except psycopg.Error as error:  # as Statement raises them (see _execute)
        raise DBAPIError.instance(sql, None, error, psycopg.Error) from error
    finally:
        for cursor in cursors:
            await cursor.close()


async def _driver(conn: AsyncConnection) -> Any:
    """The DBAPI driver's connection under ``conn``. Read synchronously while the connection
    is live (get_raw_connection's greenlet switch cost 10 us, six times a request)."""
    sync = conn.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        return sync.connection.driver_connection
    return (await conn.get_raw_connection()).driver_connection


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positions: list[str]  # parameter names in placeholder order (? or $n)
    defaults: dict[str, Any]
