"""All SQL of sessions and the contexts attached to them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.db.statements import Statement
from upnext.db.tables import app_media, avails, platform_data, session_contexts, sessions
from upnext.kit.pagination import Page
from upnext.kit.sql import insert_ignore, upsert


def _session(platform_id: str, session_id: str) -> Any:
    return and_(
        session_contexts.c.platform_id == platform_id,
        session_contexts.c.session_id == session_id,
    )


async def session_exists(conn: AsyncConnection, platform_id: str, session_id: str) -> bool:
    query = select(sessions.c.session_id).where(
        sessions.c.platform_id == platform_id, sessions.c.session_id == session_id
    )
    return (await conn.execute(query)).first() is not None


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


async def detach_everywhere(conn: AsyncConnection, context_id: str) -> list[RowMapping]:
    """Remove the context from every session; the attachments it had."""
    where = session_contexts.c.context_id == context_id
    removed = list((await conn.execute(select(session_contexts).where(where))).mappings())
    await conn.execute(session_contexts.delete().where(where))
    return removed


async def list_attachments(
    conn: AsyncConnection, platform_id: str, session_id: str, page: Page
) -> tuple[list[RowMapping], int]:
    where = _session(platform_id, session_id)
    total = await conn.scalar(select(func.count()).select_from(session_contexts).where(where))
    result = await conn.execute(
        select(session_contexts)
        .where(where)
        .order_by(session_contexts.c.created_at.desc(), session_contexts.c.app_id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(result.mappings()), int(total or 0)


async def visible_contexts(conn: AsyncConnection, platform_id: str, session_id: str) -> list[str]:
    """The session's contexts whose apps still make their data available to the platform."""
    result = await conn.execute(
        select(session_contexts.c.context_id)
        .select_from(
            session_contexts.join(
                avails,
                and_(
                    avails.c.app_id == session_contexts.c.app_id,
                    avails.c.platform_id == session_contexts.c.platform_id,
                ),
            )
        )
        .where(_session(platform_id, session_id), avails.c.enabled.is_(True))
        .order_by(session_contexts.c.context_id)
    )
    return list(result.scalars())


@dataclass(frozen=True)
class SessionView:
    """What the aggregated list needs besides the items, read in one round trip."""

    context_ids: list[str]  # attached, and their app still available to the platform
    platform_data: dict[str, str]  # app_id -> the platform's stored JSON object
    media: dict[str, set[str]]  # app_id -> uploaded file names


# Built once: composing these joins per request costs more than the indexed reads they run.
# The available apps' platform data and media ride along (a few rows per context).
_SESSION_VIEW = Statement(
    select(
        session_contexts.c.context_id,
        avails.c.app_id.label("available"),
        platform_data.c.data,
        app_media.c.file_name,
    )
    .select_from(
        sessions.outerjoin(
            session_contexts,
            and_(
                session_contexts.c.platform_id == sessions.c.platform_id,
                session_contexts.c.session_id == sessions.c.session_id,
            ),
        )
        .outerjoin(
            avails,
            and_(
                avails.c.app_id == session_contexts.c.app_id,
                avails.c.platform_id == session_contexts.c.platform_id,
                avails.c.enabled.is_(True),
            ),
        )
        .outerjoin(
            platform_data,
            and_(
                platform_data.c.platform_id == sessions.c.platform_id,
                platform_data.c.app_id == avails.c.app_id,
            ),
        )
        .outerjoin(app_media, app_media.c.app_id == avails.c.app_id)
    )
    .where(
        sessions.c.platform_id == bindparam("platform_id"),
        sessions.c.session_id == bindparam("session_id"),
    )
    .order_by(session_contexts.c.context_id)
)


async def session_view(
    conn: AsyncConnection, platform_id: str, session_id: str
) -> SessionView | None:
    """The session's visible contexts with their apps' extras; None if no such session."""
    params = {"platform_id": platform_id, "session_id": session_id}
    rows = await _SESSION_VIEW.rows(conn, params)
    if not rows:
        return None
    # At least one row per attached context (one NULL row for a session without any).
    context_ids: dict[str, None] = {}
    data: dict[str, str] = {}
    media: dict[str, set[str]] = defaultdict(set)
    for context_id, available, stored, file_name in rows:
        if available is None:
            continue
        context_ids[context_id] = None
        if stored is not None:
            data[available] = stored
        if file_name is not None:
            media[available].add(file_name)
    return SessionView(list(context_ids), data, media)
