"""The rules of sessions: attaching contexts, the aggregated list, hiding items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from upnext import readmodel, snoozes
from upnext.callers import Caller
from upnext.contexts import repository as contexts_repo
from upnext.contexts import service as contexts
from upnext.db.statements import Executor
from upnext.handoffs import service as handoffs
from upnext.kit.pagination import Page
from upnext.kit.problems import BadRequest, Conflict, Forbidden, NotFound
from upnext.kit.timestamps import iso, now_us
from upnext.portal import service as portal
from upnext.readmodel import ListView
from upnext.sessions import repository as repo
from upnext.sessions.schemas import render_attachment
from upnext.webhooks import service as webhooks
from upnext.webhooks import session_events


async def session_platform(
    conn: AsyncConnection, caller: Caller, session_id: str, platform_id: str | None
) -> str:
    """Whose session ``session_id`` is: the caller's platform, or for the operator the one
    named by ``platform_id`` (needed only when several platforms use that session id)."""
    if not caller.is_admin:
        assert caller.platform_id is not None
        if platform_id is not None and platform_id != caller.platform_id:
            raise Forbidden("This key belongs to another platform.", code="wrong_platform")
        return caller.platform_id
    if platform_id is not None:
        return platform_id
    owners = await repo.platforms_with_session(conn, session_id)
    if not owners:
        raise NotFound(f"No session {session_id}.", code="session_not_found")
    if len(owners) > 1:
        raise BadRequest(
            f"Several platforms have a session {session_id}; name one with ?platform_id=.",
            code="ambiguous_session",
        )
    return owners[0]


async def require_session(conn: Executor, platform_id: str, session_id: str) -> None:
    if not await repo.session_exists(conn, platform_id, session_id):
        raise NotFound(f"No session {session_id}.", code="session_not_found")


async def attachment(
    conn: AsyncConnection, platform_id: str, session_id: str, context_id: str
) -> Mapping[str, Any]:
    """The attachment of ``context_id``, if its app still shares data with the platform."""
    row = await repo.attachment_of_context(conn, platform_id, session_id, context_id)
    if row is None:
        raise NotFound(
            f"Context {context_id} is not attached to session {session_id}.",
            code="context_not_attached",
        )
    await portal.require_available(conn, row["app_id"], platform_id)
    return row


async def attach_context(
    conn: AsyncConnection,
    platform_id: str,
    session_id: str,
    app_id: str,
    context_id: str,
    *,
    by_handoff: bool = False,
) -> dict[str, Any]:
    """Attach ``context_id``, named by the platform or (``by_handoff``) by a redeemed token."""
    app = await portal.require_available(conn, app_id, platform_id)
    if app["attach_requires_handoff"] and not by_handoff:
        raise Forbidden(
            f"App {app_id} lets platforms attach its contexts only with a handoff token "
            "from the app (docs/handoffs.md).",
            code="handoff_required",
        )
    context = await contexts.claim_context(conn, context_id, app_id)
    if context["app_id"] != app_id:
        raise Conflict(f"Context {context_id} belongs to another app.", code="context_of_other_app")
    now = now_us()
    await repo.ensure_session(conn, platform_id, session_id, now)
    current = await repo.attachment_of_app(conn, platform_id, session_id, app_id)
    if current is not None and current["context_id"] == context_id:
        return render_attachment(current)
    values = {
        "platform_id": platform_id,
        "session_id": session_id,
        "app_id": app_id,
        "context_id": context_id,
        "created_at": now,
    }
    await repo.attach(conn, values)
    replaced = [current["context_id"]] if current is not None else []
    await session_events.notify_session_changed(
        conn, platform_id, session_id, context_id, *replaced
    )
    return render_attachment(values)


async def attach_with_handoff(
    conn: AsyncConnection, platform_id: str, session_id: str, token: str
) -> dict[str, Any]:
    """Redeem a handoff token and attach its context; the token is spent only if this
    attach succeeds (both happen in the caller's transaction)."""
    handoff = await handoffs.redeem(conn, platform_id, token)
    return await attach_context(
        conn, platform_id, session_id, handoff["app_id"], handoff["context_id"], by_handoff=True
    )


async def detach_context(
    conn: AsyncConnection, platform_id: str, session_id: str, context_id: str
) -> None:
    if not await repo.detach(conn, platform_id, session_id, context_id):
        raise NotFound(
            f"Context {context_id} is not attached to session {session_id}.",
            code="context_not_attached",
        )
    await session_events.notify_session_changed(conn, platform_id, session_id, context_id)


async def delete_session(conn: AsyncConnection, platform_id: str, session_id: str) -> None:
    if not await repo.delete_session(conn, platform_id, session_id):
        raise NotFound(f"No session {session_id}.", code="session_not_found")


async def session_contexts(
    conn: Executor, platform_id: str, session_id: str, page: Page
) -> tuple[list[dict[str, Any]], int]:
    await require_session(conn, platform_id, session_id)
    rows, total = await repo.list_attachments(conn, platform_id, session_id, page)
    return [render_attachment(row) for row in rows], total


async def aggregated_list(
    conn: Executor,
    platform_id: str,
    session_id: str,
    page: Page,
    media_base: str,
    view: ListView,
) -> bytes:
    """The session's List Object as JSON."""
    found = await readmodel.session_view(conn, platform_id, session_id)
    if found is None:
        raise NotFound(f"No session {session_id}.", code="session_not_found")
    return await readmodel.session_page(conn, found, found.context_ids, page, view, media_base)


async def context_list(
    conn: AsyncConnection,
    platform_id: str,
    session_id: str,
    context_id: str,
    page: Page,
    media_base: str,
    view: ListView,
) -> bytes:
    """One attached context's List Object as JSON."""
    found = await readmodel.session_view(conn, platform_id, session_id)
    if found is None or context_id not in found.context_ids:
        # Not visible: attachment() names the reason, or it has just become visible.
        await attachment(conn, platform_id, session_id, context_id)
        found = await readmodel.session_view(conn, platform_id, session_id)
        if found is None or context_id not in found.context_ids:
            raise NotFound(
                f"Context {context_id} is not attached to session {session_id}.",
                code="context_not_attached",
            )
    return await readmodel.session_page(conn, found, [context_id], page, view, media_base)


async def set_hidden(
    conn: AsyncConnection,
    platform_id: str,
    session_id: str,
    context_id: str,
    content_id: str,
    hidden: bool,
    *,
    scope: Literal["item", "series"] = "item",
    until: int | None = None,
) -> None:
    """Hide or unhide an item, or its whole series (``scope``), until ``until`` (a snooze)
    or for good; the item's app hears of a change by webhook."""
    row = await attachment(conn, platform_id, session_id, context_id)
    item = await contexts_repo.lock_item(conn, context_id, content_id)
    if item is None:
        raise NotFound(f"Context {context_id} has no item {content_id}.", code="item_not_found")
    data: dict[str, Any] = {
        "app_id": row["app_id"],
        "context_id": context_id,
        "content_id": content_id,
        "platform_id": platform_id,
        "session_id": session_id,
        "hidden": hidden,
    }
    if scope == "series":
        changed = await snoozes.hide_series(conn, data, item, until)
        data |= {"scope": "series", "series_id": item["series_id"]}
    else:
        changed = await snoozes.hide_item(conn, data, item, until)
    if not changed:
        return  # nothing changed (maybe a concurrent request did it), nothing to tell
    if until is not None:
        data["until"] = iso(until)
    event = "item_hidden" if hidden else "item_unhidden"
    await webhooks.queue_event(conn, row["app_id"], event, data, context_id=context_id)
    await session_events.notify_context_changed(conn, context_id)
