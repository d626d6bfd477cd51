"""SQLite reads on the event loop (upnext.db.inline) behave like aiosqlite's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from upnext.db.engine import Database
from upnext.db.inline import InlineConnection
from upnext.db.tables import platforms


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def test_reads_see_committed_writes_and_not_uncommitted_ones(db: Database) -> None:
    row = {"platform_id": "PL100000000000000001", "name": "TV", "created_at": 1}
    async with db.write() as writer:
        await writer.execute(platforms.insert().values(row))
    async with db.write() as writer:
        await writer.execute(platforms.update().values(name="renamed"))
        async with db.read() as reader:
            names = (await reader.execute(select(platforms.c.name))).scalars().all()
    assert names == ["TV"]


async def test_only_sqlite_reads_use_the_inline_connection(db: Database) -> None:
    async with db.read() as reader:
        raw = await reader.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection) == db.is_sqlite
    async with db.write() as writer:
        raw = await writer.get_raw_connection()
        assert not isinstance(raw.driver_connection, InlineConnection)


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
