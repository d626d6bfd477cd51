"""The cross-process queue of SQLite writers (upnext.kit.writelock)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from upnext.kit.writelock import WriteLock

# Each WriteLock opens its own file description, and flock excludes across those exactly
# as it does across processes.


async def test_a_second_holder_waits_for_the_first(tmp_path: Path) -> None:
    first, second = WriteLock(str(tmp_path / "w.lock")), WriteLock(str(tmp_path / "w.lock"))
    order: list[str] = []

    async def hold_second() -> None:
        async with second.held():
            order.append("second")

    async with first.held():
        waiter = asyncio.create_task(hold_second())
        await asyncio.sleep(0.2)
        assert not waiter.done()  # blocked on the flock while the first holds it
        order.append("first")
    await asyncio.wait_for(waiter, 5)
    assert order == ["first", "second"]
    first.close()
    second.close()


async def test_a_cancelled_waiter_does_not_keep_the_lock(tmp_path: Path) -> None:
    first, second, third = (WriteLock(str(tmp_path / "w.lock")) for _ in range(3))

    async def hold(lock: WriteLock) -> None:
        async with lock.held():
            pass

    async with first.held():
        waiter = asyncio.create_task(hold(second))
        await asyncio.sleep(0.2)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
    # The cancelled waiter's thread takes the lock once the first lets go, then frees it.
    await asyncio.wait_for(hold(third), 5)
    for lock in (first, second, third):
        lock.close()
