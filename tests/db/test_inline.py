"""SQLite reads on the event loop (upnext.db.inline) behave like aiosqlite's."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import make_url, select, text
from sqlalchemy.exc import DBAPIError

from upnext.db.engine import Database
from upnext.db.inline import InlineConnection, InlineWriter
from upnext.db.tables import platforms


async def test_reads_see_committed_writes_and_not_uncommitted_ones(db: Database) -> None:
    row = {"platform_id": "PL100000000000000001", "name": "TV", "created_at": 1}
    async with db.write() as writer:
        await writer.execute(platforms.insert().values(row))
    async with db.write() as writer:
        await writer.execute(platforms.update().values(name="renamed"))
        async with db.read() as reader:
            names = (await reader.execute(select(platforms.c.name))).scalars().all()
    assert names == ["TV"]


async def test_sqlite_reads_and_writes_use_the_inline_connection(db: Database) -> None:
    async with db.read() as reader:
        raw = await reader.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection) == db.is_sqlite
    async with db.write() as writer:
        raw = await writer.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineWriter) == db.is_sqlite


async def test_errors_reach_the_caller_as_sqlalchemy_errors(db: Database) -> None:
    with pytest.raises(DBAPIError):
        async with db.read() as reader:
            await reader.execute(text("SELECT * FROM no_such_table"))
    async with db.read() as reader:  # the pool still serves healthy connections
        assert (await reader.execute(text("SELECT 1"))).scalar() == 1


async def test_many_concurrent_reads(db: Database) -> None:
    async def one(n: int) -> int:
        async with db.read() as reader:
            await asyncio.sleep(0)
            return int((await reader.execute(text(f"SELECT {n}"))).scalar_one())

    assert await asyncio.gather(*(one(n) for n in range(40))) == list(range(40))


async def test_a_write_waiting_for_another_process_lock_does_not_block_the_loop(
    db: Database, database_url: str
) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite's write lock")

    async def write(n: int) -> None:
        row = {"platform_id": f"PL{n:018d}", "name": f"TV {n}", "created_at": 1}
        async with db.write() as writer:
            await writer.execute(platforms.insert().values(row))

    await write(1)  # the writer's connection is open (and the database in WAL mode)
    other = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process (a CLI, a migration) is writing
    waiting = asyncio.create_task(write(2))
    for _ in range(20):  # the loop keeps running while the writer waits for the lock
        await asyncio.sleep(0.005)
        assert not waiting.done()
    async with db.read() as reader:
        assert (await reader.execute(select(platforms.c.name))).scalars().all() == ["TV 1"]
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(waiting, timeout=5)
    async with db.read() as reader:
        names = (await reader.execute(select(platforms.c.name))).scalars().all()
    assert sorted(names) == ["TV 1", "TV 2"]
