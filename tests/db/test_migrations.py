"""The Alembic migrations build exactly the schema of upnext.db.tables."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select, text

from upnext.db.engine import sync_url
from upnext.db.migrate import alembic_config, upgrade
from upnext.db.tables import apps, contexts, items, metadata
from upnext.kit.writelock import held_blocking, lock_path


def test_migrated_schema_matches_the_metadata(database_url: str) -> None:
    upgrade(database_url)  # already at head: a second run changes nothing
    engine = create_engine(sync_url(database_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_0002_indexes_the_items_of_an_existing_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.execute(apps.insert().values(app_id="AP1", name="app", created_at=1))
        conn.execute(contexts.insert().values(context_id="c", app_id="AP1", created_at=1))
        conn.execute(items.insert(), [item(n) for n in range(100)])
    upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(items)).scalar() == 100
        plan = " ".join(
            str(row[-1])
            for row in conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT context_id, content_id FROM items "
                    "WHERE (expires_at IS NOT NULL AND expires_at <= 5) OR updated_at <= 0"
                )
            )
        )
    engine.dispose()
    assert "ix_items_expires_at" in plan, plan  # the purge job no longer reads every item


def test_the_migrations_go_down_and_up_again(database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "0001")
    upgrade(database_url)
    test_migrated_schema_matches_the_metadata(database_url)


def test_processes_starting_together_take_turns_migrating_one_sqlite_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0001")
    script = f"from upnext.db.migrate import upgrade; upgrade({url!r})"
    with held_blocking(lock_path(str(path))):  # as a writer of a running server would
        workers = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(4)]
        time.sleep(0.5)
        assert [worker.poll() for worker in workers] == [None] * 4
    # Without turns, the later ones would fail creating an index the first one created.
    assert [worker.wait(timeout=60) for worker in workers] == [0] * 4
    test_migrated_schema_matches_the_metadata(url)


def item(n: int) -> dict[str, object]:
    return {
        "context_id": "c",
        "content_id": f"item{n}",
        "app_id": "AP1",
        "updated_at": n,
        "action": "up_next_continue",
        "media_type": "movie",
        "title": "t",
        "description": "",
        "poster_art_uri": "https://example.com/p.png",
        "poster_art_aspect_ratio": "aspect_ratio_16_9",
        "duration": 60,
        "hidden": False,
        "expires_at": n if n % 10 == 0 else None,
    }
