"""Statements run on the driver but behave like SQLAlchemy's: rows, changes and errors."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from upnext.db.engine import Database
from upnext.db.statements import Statement
from upnext.db.tables import platforms

_INSERT = Statement(
    insert(platforms).values(
        platform_id=bindparam("id"), name=bindparam("label"), created_at=bindparam("at")
    )
)
_RENAME = Statement(
    update(platforms)
    .where(platforms.c.platform_id == bindparam("id"))
    .values(name=bindparam("label"))
)
_ONE = Statement(
    select(platforms.c.platform_id, platforms.c.name, platforms.c.created_at).where(
        platforms.c.platform_id == bindparam("id")
    )
)


async def test_rows_changes_and_first_follow_the_statement(db: Database) -> None:
    async with db.write() as conn:
        assert await _INSERT.change(conn, {"id": "PL1", "label": "one", "at": 5}) == 1
        assert await _RENAME.change(conn, {"id": "PL1", "label": "uno"}) == 1
        assert await _RENAME.change(conn, {"id": "PL9", "label": "none"}) == 0
    async with db.read() as conn:
        assert await _ONE.rows(conn, {"id": "PL1"}) == [("PL1", "uno", 5)]
        assert await _ONE.first(conn, {"id": "PL1"}) == {
            "platform_id": "PL1",
            "name": "uno",
            "created_at": 5,
        }
        assert await _ONE.first(conn, {"id": "PL9"}) is None


async def _insert_twice(db: Database) -> None:
    async with db.write() as conn:
        await _INSERT.change(conn, {"id": "PL2", "label": "two", "at": 1})
        await _INSERT.change(conn, {"id": "PL2", "label": "again", "at": 2})


async def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(db: Database) -> None:
    # The API answers sqlalchemy's IntegrityError with 409 and its OperationalError with
    # 503; the driver's own classes would reach the catch-all 500.
    with pytest.raises(IntegrityError):
        await _insert_twice(db)
    async with db.read() as conn:
        assert await _ONE.first(conn, {"id": "PL2"}) is None  # the block changed nothing
