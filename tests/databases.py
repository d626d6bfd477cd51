"""Fresh, migrated test databases on SQLite or on a real PostgreSQL server.

``UPNEXT_TEST_DATABASE_URL=postgresql://user@host:port/db`` runs the suite on PostgreSQL:
the suite creates its own database on that server (never touching ``db`` itself), migrates
it once, empties every table before each test, and drops it at the end. Without it, each
test gets a copy of a SQLite file migrated once per run.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL

from upnext.db.engine import sync_url
from upnext.db.migrate import upgrade
from upnext.db.tables import metadata

SERVER_URL = os.environ.get("UPNEXT_TEST_DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgres")


def _server(url: URL) -> URL:
    return url.set(drivername="postgresql+psycopg")


def create_pg_database(name: str) -> str:
    base = make_url(SERVER_URL)
    engine = create_engine(_server(base), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(name: str) -> None:
    engine = create_engine(_server(make_url(SERVER_URL)), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextmanager
def pg_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards."""
    name = f"upnext_test_{os.getpid()}_{secrets.token_hex(4)}"
    url = create_pg_database(name)
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(name)


def empty_all_tables(url: str) -> None:
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def migrated_sqlite_template(directory: Path) -> Path:
    template = directory / "template.db"
    upgrade(f"sqlite:///{template}")
    return template


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / f"test-{secrets.token_hex(4)}.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"
