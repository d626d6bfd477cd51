"""Group commit for SQLite: the write transactions of a process that overlap share one COMMIT.

With ``synchronous=FULL`` every COMMIT waits for an fsync, and SQLite has one writer: a
commit per request makes the disk, not the work, set write throughput. Here the callers of
``transaction()`` queue for the one writer connection, and a batch task serves them in
turn inside a single ``BEGIN IMMEDIATE`` transaction, each in its own savepoint: a block
that raises is rolled back to its savepoint and changes nothing, the others stay. When
nobody is waiting (or the batch is full, or old) the batch commits once, and only then do
the successful blocks return: a write is acknowledged only after it is durable, and if the
COMMIT fails every member of the batch raises.

Members run one at a time on the connection, so a block reads its own writes (and the
uncommitted writes of the members before it, which commit or fail together with its own).
The batch task, not the members, opens, commits and rolls back: a member that is
cancelled, while it waits or while it holds the connection, only hands its turn back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from upnext.db.inline import InlineWriter
from upnext.kit.writelock import WriteLock

MAX_MEMBERS = 64
# A batch takes no new member after this long: one slow member (the purge job's batch of
# deletes) must not hold the commit of the others, nor other processes' writes, for long.
MAX_BATCH_SECONDS = 0.02
CLOSE_SECONDS = 10.0  # at shut-down, for a block that never ends


class _Member:
    """One caller of ``transaction()``: its turn on the connection and its outcome."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.turn: asyncio.Future[AsyncConnection] = loop.create_future()
        self.succeeded: asyncio.Future[bool] = loop.create_future()  # set by the member
        # Settled once the batch is done with the member: committed, or rolled back to its
        # savepoint if it failed (so a failed write() returns with nothing left running).
        self.settled: asyncio.Future[None] = loop.create_future()


class _Batch:
    def __init__(self) -> None:
        self.served = 0
        self.pending: list[_Member] = []  # blocks that succeeded, waiting for the COMMIT


class GroupCommit:
    """Serves ``transaction()`` callers of one process through one writer connection."""

    def __init__(
        self,
        engine: AsyncEngine,
        queue: WriteLock | None,
        *,
        max_members: int = MAX_MEMBERS,
        max_seconds: float = MAX_BATCH_SECONDS,
    ) -> None:
        self._engine = engine
        self._queue = queue
        self._max_members = max_members
        self._max_seconds = max_seconds
        self._waiting: deque[_Member] = deque()
        self._server: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """The writer connection inside a savepoint; returns once the batch has committed."""
        loop = asyncio.get_running_loop()
        member = _Member(loop)
        self._waiting.append(member)
        if self._server is None:
            self._server = loop.create_task(self._serve())
        conn = await _take_turn(member)
        try:
            yield conn
        except BaseException:
            member.succeeded.set_result(False)
            with contextlib.suppress(Exception):  # its own error is the one to report
                await member.settled
            raise
        member.succeeded.set_result(True)
        await member.settled

    async def close(self) -> None:
        """Wait for the batch in progress, so that its connection is back in the pool."""
        if self._server is not None:
            await asyncio.wait({self._server}, timeout=CLOSE_SECONDS)

    async def _serve(self) -> None:
        try:
            while self._waiting:
                await self._run_batch()
        except BaseException:  # cancelled (the loop is closing): nobody may wait forever
            for member in self._waiting:
                member.turn.cancel()
            self._waiting.clear()
            raise
        finally:
            self._server = None

    async def _run_batch(self) -> None:
        batch = _Batch()
        try:
            async with self._held(), self._engine.connect() as conn:
                try:
                    await conn.begin()  # BEGIN IMMEDIATE (engine._sqlite_writer)
                    await self._serve_members(conn, batch)
                    await conn.commit()
                except Exception:
                    # A failed COMMIT leaves SQLite's transaction open, and SQLAlchemy will
                    # not roll it back: close the connection, the pool opens a fresh one.
                    await conn.invalidate()
                    raise
        except Exception as error:
            if batch.served == 0:  # the transaction did not start: the first caller hears why
                self._fail_first_waiter(error)
            for member in batch.pending:
                _settle(member.settled, error)
            return
        except BaseException:
            for member in batch.pending:
                member.settled.cancel()
            raise
        for member in batch.pending:
            _settle(member.settled, None)

    async def _serve_members(self, conn: AsyncConnection, batch: _Batch) -> None:
        loop = asyncio.get_running_loop()
        writer = (await conn.get_raw_connection()).driver_connection
        assert isinstance(writer, InlineWriter)
        deadline = loop.time() + self._max_seconds
        while self._waiting and batch.served < self._max_members:
            if batch.served and loop.time() > deadline:
                return
            member = self._waiting[0]
            if member.turn.done():  # cancelled while it waited
                self._waiting.popleft()
                continue
            writer.savepoint("member")
            self._waiting.popleft()
            batch.served += 1
            member.turn.set_result(conn)
            if await member.succeeded:
                batch.pending.append(member)
                writer.release("member")
            else:
                # Fails if the error already ended the whole transaction (SQLITE_FULL, an
                # I/O error): then the batch fails with it.
                try:
                    writer.rollback_to("member")
                finally:
                    _settle(member.settled, None)  # it raises its own error either way

    def _held(self) -> AbstractAsyncContextManager[None]:
        return self._queue.held() if self._queue is not None else contextlib.nullcontext()

    def _fail_first_waiter(self, error: Exception) -> None:
        while self._waiting:
            member = self._waiting.popleft()
            if not member.turn.done():
                member.turn.set_exception(error)
                return


async def _take_turn(member: _Member) -> AsyncConnection:
    try:
        return await member.turn
    except asyncio.CancelledError:
        turn = member.turn
        if turn.done() and not turn.cancelled() and turn.exception() is None:
            member.succeeded.set_result(False)  # given the turn as it was cancelled: hand it back
        raise


def _settle(future: asyncio.Future[None], error: Exception | None) -> None:
    if future.done():  # its member was cancelled while it waited for the COMMIT
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
