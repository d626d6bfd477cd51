"""Apply the Alembic migrations to the configured database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from upnext.db.engine import sync_url
from upnext.kit.writelock import held_blocking, lock_path

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: processes starting together on one PostgreSQL take turns migrating.
_PG_MIGRATION_LOCK = 7_465_432


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = sync_url(database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe to run from several processes at once."""
    url = sync_url(database_url)
    path = url.database or ""
    if url.get_backend_name() == "sqlite" and path not in ("", ":memory:"):
        # Workers starting together take turns on the writers' lock: the second finds the
        # schema current instead of creating the same index again (and its writes wait).
        with held_blocking(lock_path(path)):
            _upgrade(database_url, revision)
    else:
        _upgrade(database_url, revision)


def _upgrade(database_url: str, revision: str) -> None:
    config = alembic_config(database_url)
    url = sync_url(database_url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if url.get_backend_name() == "postgresql":
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            conn.commit()
            if url.get_backend_name() == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()
    finally:
        engine.dispose()
