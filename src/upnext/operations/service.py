"""What the operations endpoints report: readiness and the webhook queue's depth."""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.migrate import alembic_config
from upnext.kit.problems import ServiceUnavailable
from upnext.operations import repository as repo


@cache
def _head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def ready_schema(conn: AsyncConnection) -> str | None:
    """The schema's revision; ``ServiceUnavailable`` unless it is the newest this code has."""
    revision = await repo.schema_revision(conn)
    if revision != _head_revision():
        raise ServiceUnavailable(
            f"The schema is at {revision}, this code needs {_head_revision()}.",
            code="schema_outdated",
            headers={"Retry-After": "5"},
        )
    return revision


async def webhook_queue_depth(conn: AsyncConnection) -> int:
    """How many webhook deliveries are pending."""
    return await repo.pending_deliveries(conn)
