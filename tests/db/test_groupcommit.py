"""Concurrent writes share commits on SQLite (db.groupcommit), and each is still its own.

Each test checks what a caller of ``Database.write()`` may rely on, on a real database
file; the ones about how writes are grouped run on SQLite only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import IntegrityError

from upnext.db.engine import Database, sync_url
from upnext.db.groupcommit import MAX_MEMBERS
from upnext.db.tables import platforms, sessions


@pytest.fixture
def sqlite_db(db: Database) -> Database:
    if not db.is_sqlite:
        pytest.skip("group commit is SQLite's; PostgreSQL groups commits itself")
    return db


@pytest.fixture
def committed(database_url: str) -> Callable[[], set[str]]:
    """The platform ids a fresh connection of its own sees: what is durable."""

    def names() -> set[str]:
        engine = create_engine(sync_url(database_url))
        with engine.connect() as conn:
            found = set(conn.execute(select(platforms.c.platform_id)).scalars())
        engine.dispose()
        return found

    return names


def count_commits(db: Database) -> list[int]:
    commits = [0]

    def on_commit(_conn: object) -> None:
        commits[0] += 1

    event.listen(db._writer.sync_engine, "commit", on_commit)
    return commits


def platform(n: int) -> dict[str, object]:
    return {"platform_id": f"PL{n:018d}", "name": f"platform {n}", "created_at": n}


async def insert(db: Database, n: int) -> None:
    async with db.write() as conn:
        await conn.execute(platforms.insert().values(platform(n)))


async def test_concurrent_writes_are_each_committed_when_write_returns(
    db: Database, committed: Callable[[], set[str]]
) -> None:
    async def write_then_look(n: int) -> bool:
        await insert(db, n)
        return f"PL{n:018d}" in committed()

    assert all(await asyncio.gather(*(write_then_look(n) for n in range(40))))
    assert len(committed()) == 40


async def test_concurrent_writes_share_commits(sqlite_db: Database) -> None:
    commits = count_commits(sqlite_db)
    await asyncio.gather(*(insert(sqlite_db, n) for n in range(40)))
    assert 1 <= commits[0] < 40


async def test_a_batch_takes_no_more_than_its_cap(sqlite_db: Database) -> None:
    commits = count_commits(sqlite_db)
    await asyncio.gather(*(insert(sqlite_db, n) for n in range(MAX_MEMBERS + 10)))
    assert 2 <= commits[0] < MAX_MEMBERS + 10


async def test_a_slow_member_closes_its_batch(sqlite_db: Database) -> None:
    commits = count_commits(sqlite_db)

    async def slow() -> None:
        async with sqlite_db.write() as conn:
            await conn.execute(platforms.insert().values(platform(0)))
            await asyncio.sleep(0.1)  # like the purge job: others queue meanwhile

    await asyncio.gather(slow(), *(insert(sqlite_db, n) for n in range(1, 10)))
    assert commits[0] >= 2  # the others did not join the slow member's old batch


async def test_a_failing_member_changes_nothing_and_the_others_commit(
    db: Database, committed: Callable[[], set[str]]
) -> None:
    commits = count_commits(db)

    async def failing() -> None:
        async with db.write() as conn:
            await conn.execute(platforms.insert().values(platform(5)))
            raise ValueError("the request failed after writing")

    results = await asyncio.gather(
        *(insert(db, n) for n in range(5)),
        failing(),
        *(insert(db, n) for n in range(6, 10)),
        return_exceptions=True,
    )
    assert [type(r) for r in results] == [type(None)] * 5 + [ValueError] + [type(None)] * 4
    assert committed() == {f"PL{n:018d}" for n in range(10) if n != 5}
    if db.is_sqlite:
        assert commits[0] < 10  # the failure and the others shared a batch


async def test_a_constraint_error_rolls_back_only_its_member(
    db: Database, committed: Callable[[], set[str]]
) -> None:
    async def duplicate() -> None:
        async with db.write() as conn:
            await conn.execute(platforms.insert().values(platform(100)))
            await conn.execute(platforms.insert().values(platform(1)))  # taken: raises

    await insert(db, 1)
    results = await asyncio.gather(
        insert(db, 2), duplicate(), insert(db, 3), return_exceptions=True
    )
    assert isinstance(results[1], IntegrityError)
    assert committed() == {f"PL{n:018d}" for n in (1, 2, 3)}


async def test_a_failed_commit_fails_every_member(
    sqlite_db: Database, committed: Callable[[], set[str]]
) -> None:
    async def orphan() -> None:
        # A deferred foreign key is checked at COMMIT: the whole batch's commit fails.
        async with sqlite_db.write() as conn:
            await conn.execute(text("PRAGMA defer_foreign_keys = ON"))
            await conn.execute(
                sessions.insert().values(platform_id="PL999", session_id="s", created_at=1)
            )

    results = await asyncio.gather(
        insert(sqlite_db, 1), orphan(), insert(sqlite_db, 2), return_exceptions=True
    )
    assert all(isinstance(r, IntegrityError) for r in results), results
    assert committed() == set()
    await insert(sqlite_db, 3)  # the next batch is unaffected
    assert committed() == {f"PL{3:018d}"}


async def test_members_read_their_own_writes_and_see_rowcount_and_returning(
    db: Database,
) -> None:
    async def rename(n: int) -> tuple[int, list[str], int]:
        async with db.write() as conn:
            await conn.execute(platforms.insert().values(platform(n)))
            renamed = await conn.execute(
                platforms.update()
                .where(platforms.c.platform_id == f"PL{n:018d}")
                .values(name=f"renamed {n}")
                .returning(platforms.c.name)
            )
            names = list(renamed.scalars())
            gone = await conn.execute(platforms.delete().where(platforms.c.platform_id == "none"))
            seen = await conn.execute(
                select(func.count()).where(platforms.c.platform_id == f"PL{n:018d}")
            )
            return gone.rowcount, names, seen.scalar_one()

    results = await asyncio.gather(*(rename(n) for n in range(10)))
    assert results == [(0, [f"renamed {n}"], 1) for n in range(10)]


async def test_a_member_cancelled_while_it_holds_the_connection_rolls_back_alone(
    db: Database, committed: Callable[[], set[str]]
) -> None:
    holding = asyncio.Event()

    async def abandoned() -> None:  # a request whose client went away mid-write
        async with db.write() as conn:
            await conn.execute(platforms.insert().values(platform(1)))
            holding.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(abandoned())
    await holding.wait()
    others = asyncio.gather(insert(db, 2), insert(db, 3))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(others, timeout=5)
    assert committed() == {f"PL{n:018d}" for n in (2, 3)}
    await insert(db, 4)  # the writer connection still works
    assert f"PL{4:018d}" in committed()


async def test_a_member_cancelled_while_it_waits_does_not_stall_the_others(
    sqlite_db: Database, committed: Callable[[], set[str]]
) -> None:
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with sqlite_db.write() as conn:
            await conn.execute(platforms.insert().values(platform(1)))
            holding.set()
            await release.wait()

    first = asyncio.create_task(holder())
    await holding.wait()
    waiting = asyncio.create_task(insert(sqlite_db, 2))
    last = asyncio.create_task(insert(sqlite_db, 3))
    await asyncio.sleep(0.01)
    waiting.cancel()
    release.set()
    await asyncio.wait_for(asyncio.gather(first, last), timeout=5)
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert committed() == {f"PL{n:018d}" for n in (1, 3)}


async def test_a_write_waiting_for_the_commit_can_be_cancelled(
    sqlite_db: Database, committed: Callable[[], set[str]]
) -> None:
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with sqlite_db.write():
            holding.set()
            await release.wait()

    early = asyncio.create_task(insert(sqlite_db, 1))  # done first, then waits for the batch
    await asyncio.sleep(0)
    late = asyncio.create_task(holder())
    await holding.wait()
    early.cancel()  # not acknowledged; whether it commits is up to the batch
    release.set()
    await asyncio.wait_for(late, timeout=5)
    with pytest.raises(asyncio.CancelledError):
        await early
    await insert(sqlite_db, 2)
    assert f"PL{2:018d}" in committed()
