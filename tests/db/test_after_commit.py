"""``wake_after_commit``: hooks run once the write is durable, never before."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from upnext.db.engine import Database, sync_url, wake_after_commit
from upnext.db.tables import platforms


def _durable(database_url: str) -> set[str]:
    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        found = set(conn.execute(select(platforms.c.platform_id)).scalars())
    engine.dispose()
    return found


async def test_a_hook_runs_after_the_commit_and_sees_the_write(
    db: Database, database_url: str
) -> None:
    seen: list[set[str]] = []
    async with db.write() as conn:
        await conn.execute(platforms.insert().values(platform_id="PL1", name="one", created_at=1))
        wake_after_commit(conn, lambda: seen.append(_durable(database_url)))
        assert seen == []
    assert len(seen) == 1 and "PL1" in seen[0]


async def _fail_after_registering(db: Database, woken: list[str]) -> None:
    async with db.write() as conn:
        wake_after_commit(conn, lambda: woken.append("failed"))
        raise RuntimeError("no")


async def test_a_failed_block_does_not_run_its_hooks_then(db: Database) -> None:
    woken: list[str] = []
    with pytest.raises(RuntimeError):
        await _fail_after_registering(db, woken)
    assert woken == []
