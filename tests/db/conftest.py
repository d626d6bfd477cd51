"""Fixtures of the storage-layer tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from upnext.db.engine import Database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The process's ``Database`` on the test's own database, disposed afterwards."""
    database = Database(database_url)
    yield database
    await database.dispose()
