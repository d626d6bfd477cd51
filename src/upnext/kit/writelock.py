"""A queue for SQLite's single writer across processes: an ``flock`` beside the database.

Without it, writers of several processes meet at SQLite's lock, and the loser sleeps in
SQLite's busy handler (1, 2, 5, 10 ... 100 ms) however soon the lock is free again: under
load that sleeping, not the work, sets throughput and p99. ``flock`` wakes the next
waiter as soon as the holder lets go. SQLite's own lock still guards correctness; this
only orders the processes that use it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager


def lock_path(database: str) -> str:
    """The lock file of the SQLite database at ``database``."""
    return f"{database}-writer.lock"


class WriteLock:
    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None
        self._local = asyncio.Lock()  # one waiter per process on the flock

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        async with self._local:
            fd = self._open()
            taking = asyncio.get_running_loop().run_in_executor(
                None, fcntl.flock, fd, fcntl.LOCK_EX
            )
            try:
                await asyncio.shield(taking)
            except asyncio.CancelledError:
                # The thread may still get the lock after we stopped waiting: let it go then.
                taking.add_done_callback(lambda done: _release_if_taken(fd, done))
                raise
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@contextmanager
def held_blocking(path: str) -> Iterator[None]:
    """The same lock for synchronous code (migrations): the thread waits for it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor lets go of the lock


def _release_if_taken(fd: int, done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is None:
        fcntl.flock(fd, fcntl.LOCK_UN)
