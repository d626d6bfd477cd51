"""The Alembic migrations build exactly the schema of upnext.db.tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from upnext.db.engine import sync_url
from upnext.db.migrate import upgrade
from upnext.db.tables import metadata


def test_migrated_schema_matches_the_metadata(database_url: str) -> None:
    upgrade(database_url)  # already at head: a second run changes nothing
    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []
