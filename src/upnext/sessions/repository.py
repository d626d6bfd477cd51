"""All SQL of sessions and the contexts attached to them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.statements import Executor, Statement
from upnext.db.tables import session_contexts, sessions
from upnext.kit.pagination import Page
from upnext.kit.sql import insert_ignore, upsert


def _session(platform_id: str, session_id: str) -> Any:
    return and_(
        session_contexts.c.platform_id == platform_id,
        session_contexts.c.session_id == session_id,
    )


_SESSION_EXISTS = Statement(
    select(sessions.c.session_id).where(
        sessions.c.platform_id == bindparam("platform_id"),
        sessions.c.session_id == bindparam("session_id"),
    )
)


async def session_exists(conn: Executor, platform_id: str, session_id: str) -> bool:
    params = {"platform_id": platform_id, "session_id": session_id}
    return bool(await _SESSION_EXISTS.rows(conn, params))


async def platforms_with_session(conn: AsyncConnection, session_id: str) -> list[str]:
    result = await conn.execute(
        select(sessions.c.platform_id).where(sessions.c.session_id == session_id).limit(2)
    )
    return list(result.scalars())


async def ensure_session(
    conn: AsyncConnection, platform_id: str, session_id: str, now: int
) -> None:
    values = {"platform_id": platform_id, "session_id": session_id, "created_at": now}
    await insert_ignore(conn, sessions, values, keys=["platform_id", "session_id"])


async def delete_session(conn: AsyncConnection, platform_id: str, session_id: str) -> bool:
    await conn.execute(session_contexts.delete().where(_session(platform_id, session_id)))
    result = await conn.execute(
        sessions.delete().where(
            sessions.c.platform_id == platform_id, sessions.c.session_id == session_id
        )
    )
    return bool(result.rowcount)


async def attachment_of_app(
    conn: AsyncConnection, platform_id: str, session_id: str, app_id: str
) -> RowMapping | None:
    result = await conn.execute(
        select(session_contexts).where(
            _session(platform_id, session_id), session_contexts.c.app_id == app_id
        )
    )
    return result.mappings().first()


_ATTACHMENT_OF_CONTEXT = Statement(
    select(session_contexts).where(
        session_contexts.c.platform_id == bindparam("platform_id"),
        session_contexts.c.session_id == bindparam("session_id"),
        session_contexts.c.context_id == bindparam("context_id"),
    )
)


async def attachment_of_context(
    conn: AsyncConnection, platform_id: str, session_id: str, context_id: str
) -> dict[str, Any] | None:
    """Every hide runs this: on the driver (db.statements)."""
    params = {"platform_id": platform_id, "session_id": session_id, "context_id": context_id}
    return await _ATTACHMENT_OF_CONTEXT.first(conn, params)


async def attach(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Attach a context, replacing the app's previous context in the session."""
    await upsert(conn, session_contexts, values, keys=["platform_id", "session_id", "app_id"])


async def detach(conn: AsyncConnection, platform_id: str, session_id: str, context_id: str) -> bool:
    result = await conn.execute(
        session_contexts.delete().where(
            _session(platform_id, session_id), session_contexts.c.context_id == context_id
        )
    )
    return bool(result.rowcount)


_IN_SESSION = and_(
    session_contexts.c.platform_id == bindparam("platform_id"),
    session_contexts.c.session_id == bindparam("session_id"),
)
_ATTACHMENTS = Statement(
    select(
        session_contexts.c.session_id,
        session_contexts.c.context_id,
        session_contexts.c.app_id,
        session_contexts.c.created_at,
        select(func.count())
        .select_from(session_contexts)
        .where(_IN_SESSION)
        .scalar_subquery()
        .label("total"),
    )
    .where(_IN_SESSION)
    .order_by(session_contexts.c.created_at.desc(), session_contexts.c.app_id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_ATTACHMENT_COUNT = Statement(select(func.count()).select_from(session_contexts).where(_IN_SESSION))


async def list_attachments(
    conn: Executor, platform_id: str, session_id: str, page: Page
) -> tuple[list[dict[str, Any]], int]:
    """A page of the session's attachments, newest first, and how many there are: the
    total rides along, so a page is one statement unless it is past the end."""
    params = {"platform_id": platform_id, "session_id": session_id}
    rows = await _ATTACHMENTS.rows(conn, {**params, "limit": page.limit, "offset": page.offset})
    if rows:
        names = ("session_id", "context_id", "app_id", "created_at")
        return [dict(zip(names, row[:4], strict=True)) for row in rows], int(rows[0][4])
    return [], int((await _ATTACHMENT_COUNT.rows(conn, params))[0][0])
