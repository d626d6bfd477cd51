"""Read connections that belong to the process: the lean reads of every home screen.

The session list reads (``sessions/reads.py``) skip SQLAlchemy's pool and ``Connection``:
checking a connection out, setting up its transaction and handing it back cost more than
the indexed reads it carried (bench/README.md).

- **SQLite**: plain ``sqlite3`` connections, kept by the process. A read takes one, runs
  ``BEGIN``, its statements and ``ROLLBACK`` on the event loop, and puts it back. The
  statements never wait (WAL: a reader never waits for the writer), so a read holds its
  connection only for the time it runs, and a process rarely needs a second one.
- **PostgreSQL**: psycopg's own pool of autocommit connections (``psycopg_pool``), so a
  read is its statements' round trips and nothing else.

Both hand out a ``Raw`` (``db.statements``) that ``Statement`` runs on.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import URL, Dialect

from upnext.db.statements import Raw

SQLITE_KEPT = 8  # more are opened when reads overlap, and closed when given back


class SqliteReads:
    """The process's own SQLite read connections."""

    def __init__(self, path: str, dialect: Dialect, busy_timeout_ms: int) -> None:
        self._path = path
        self._dialect = dialect
        self._busy_timeout_ms = busy_timeout_ms
        self._free: list[sqlite3.Connection] = []

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        conn.execute("PRAGMA query_only=1")
        return conn

    async def take(self) -> Raw:
        """A connection inside a read transaction (one snapshot for the whole read)."""
        conn = self._free.pop() if self._free else self._open()
        try:
            conn.execute("BEGIN")
        except sqlite3.Error:
            conn.close()
            raise
        return Raw(conn, self._dialect)

    async def give(self, raw: Raw) -> None:
        conn = raw.driver
        assert isinstance(conn, sqlite3.Connection)
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            conn.close()
            return
        if len(self._free) < SQLITE_KEPT:
            self._free.append(conn)
        else:
            conn.close()

    async def close(self) -> None:
        while self._free:
            self._free.pop().close()


class PostgresReads:
    """A psycopg pool of autocommit connections (READ COMMITTED: a read transaction would
    add round trips, not consistency)."""

    def __init__(self, url: URL, dialect: Dialect, size: int) -> None:
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._dialect = dialect
        self._pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            conninfo, min_size=1, max_size=size, kwargs={"autocommit": True}, open=False
        )
        self._opened = False

    async def take(self) -> Raw:
        if not self._opened:
            self._opened = True
            await self._pool.open(wait=False)
        conn: psycopg.AsyncConnection[Any] = await self._pool.getconn()
        return Raw(conn, self._dialect)

    async def give(self, raw: Raw) -> None:
        assert isinstance(raw.driver, psycopg.AsyncConnection)
        await self._pool.putconn(raw.driver)  # a broken connection is discarded there

    async def close(self) -> None:
        if self._opened:
            await self._pool.close()


LeanReads = SqliteReads | PostgresReads
