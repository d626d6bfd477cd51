"""Engines for SQLite and PostgreSQL, and the read/write transactions requests run in.

SQLite allows one writer at a time. Each process therefore writes through a single pooled
connection that starts its transactions with ``BEGIN IMMEDIATE``: taking the database lock
up front means a transaction never has to upgrade from reader to writer (the upgrade is
what deadlocks under concurrency). Processes queue for the writer on an ``flock`` beside
the database (``kit.writelock``) rather than sleeping in SQLite's busy handler.
``synchronous=FULL`` makes every commit durable before a write is acknowledged, and group
commit (``db.groupcommit``) makes that fsync affordable: the ``write()`` blocks of a
process that overlap run one after another, each in its own savepoint, inside one
transaction that commits once for all of them; each block returns only after that commit.
Statements run on the event loop (``db.inline``), the writer's as well as the reads';
only ``BEGIN IMMEDIATE`` and ``COMMIT``, which wait for another process and for the disk,
use a thread. Reads use their own connections and, in WAL mode, never wait for the
writer. PostgreSQL needs none of this: each ``write()`` is a transaction on a pooled
connection, and the server groups concurrent commits itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_

from upnext.db.groupcommit import GroupCommit
from upnext.db.inline import InlineConnection, InlineWriter, inline_creator
from upnext.db.lean import LeanReads, PostgresReads, SqliteReads
from upnext.kit.writelock import WriteLock, lock_path

SQLITE_BUSY_TIMEOUT_MS = 10_000
READERS_KEPT = 32  # SQLite read connections a process keeps open (more are opened as needed)


def async_url(database_url: str) -> URL:
    """The async-driver URL for a ``sqlite:///`` or ``postgresql://`` URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql")


def sync_url(database_url: str) -> URL:
    """The sync-driver URL of the same database, for migrations and tools."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    return async_url(database_url)  # psycopg 3 serves both sync and async


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


def _sqlite_reader(engine: AsyncEngine) -> None:
    _sqlite_pragmas(engine)

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # Straight to sqlite3 (a WAL read's BEGIN never waits): through exec_driver_sql it
        # was 4 % of a list request.
        reader: InlineConnection = connection.connection.driver_connection
        reader.run("BEGIN", ())


def _sqlite_writer(engine: AsyncEngine) -> None:
    _sqlite_pragmas(engine)

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        writer: InlineWriter = connection.connection.driver_connection
        await_(writer.begin_immediate())  # in a thread: it may wait for another process


_AFTER_COMMIT = "upnext.after_commit"


def wake_after_commit(conn: AsyncConnection, hook: Callable[[], None]) -> None:
    """Call ``hook`` once the write transaction ``conn`` is in has committed.

    For wake-ups only (the webhook worker): the hooks of a block that failed are not
    dropped, so they run at the next commit on that connection instead (under SQLite's
    group commit, that of the blocks sharing its batch). A wake-up too many costs a poll.
    """
    hooks: set[Callable[[], None]] = conn.info.setdefault(_AFTER_COMMIT, set())
    hooks.add(hook)


class Database:
    """The process's way into the database: ``read()`` and ``write()`` transactions."""

    def __init__(self, database_url: str, *, pool_size: int = 10) -> None:
        url = async_url(database_url)
        self.dialect = url.get_backend_name()
        if self.dialect == "sqlite":
            # Processes queue for that lock on a file beside the database (kit.writelock).
            path = url.database or ""
            self._queue = WriteLock(lock_path(path)) if path not in ("", ":memory:") else None
            # Statements run on the event loop (upnext.db.inline): no thread hop per
            # statement. BEGIN and COMMIT, which wait for locks and the disk, use a thread.
            self._writer = create_async_engine(
                url,
                pool_size=1,
                max_overflow=0,
                pool_timeout=60,
                async_creator=inline_creator(path, writer=True),
            )
            _sqlite_writer(self._writer)
            self._group: GroupCommit | None = GroupCommit(self._writer, self._queue)
            # A read holds its connection across the request's awaits, so a process has as
            # many open as requests in flight. Opening one costs more than a list request:
            # with 8 kept and 16 concurrent reads, 45 % of requests opened a fresh one.
            self._reader = create_async_engine(
                url,
                pool_size=READERS_KEPT,
                max_overflow=READERS_KEPT,
                async_creator=inline_creator(path),
            )
            _sqlite_reader(self._reader)
            self.lean: LeanReads | None = (
                SqliteReads(path, self._reader.dialect, SQLITE_BUSY_TIMEOUT_MS)
                if path not in ("", ":memory:")
                else None
            )
        else:
            self._writer = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            # Under READ COMMITTED every statement takes its own snapshot anyway, so a read
            # transaction buys no consistency: autocommit saves its BEGIN and ROLLBACK.
            self._reader = self._writer.execution_options(isolation_level="AUTOCOMMIT")
            self._queue = None
            self._group = None
            self.lean = PostgresReads(url, self._writer.dialect, pool_size)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A transaction for reads; rolled back at the end."""
        async with self._reader.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that commits when the block ends without error.

        Returns once the commit is durable; a block that raises changes nothing. On SQLite
        it shares the transaction and its commit with the blocks that overlap it.
        """
        transaction = self._writer.begin() if self._group is None else self._group.transaction()
        async with transaction as conn:
            yield conn
            hooks = conn.info.pop(_AFTER_COMMIT, ())
        for hook in hooks:  # committed
            hook()

    def pool_status(self) -> dict[str, tuple[int, int, int]]:
        """For metrics: connections in use, idle and the configured size, per pool."""
        engines = {"writer": self._writer}
        if self.is_sqlite:  # on PostgreSQL both share one pool
            engines["reader"] = self._reader
        status = {}
        for name, engine in engines.items():
            pool: Any = engine.sync_engine.pool
            status[name] = (pool.checkedout(), pool.checkedin(), pool.size())
        return status

    async def dispose(self) -> None:
        if self.lean is not None:
            await self.lean.close()
        if self._group is not None:
            await self._group.close()
        await self._writer.dispose()
        if self.is_sqlite:
            await self._reader.dispose()
        if self._queue is not None:
            self._queue.close()
