"""HTTP routes of the Sessions API (platforms)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.security import HTTPBasicCredentials
from sqlalchemy.ext.asyncio import AsyncConnection

from upnext.callers import Role
from upnext.contexts import service as contexts
from upnext.contexts.schemas import SessionItemOut
from upnext.db.engine import Database
from upnext.deps import Conn, Credentials, PlatformCaller, authorize
from upnext.identifiers import ContextId, SessionId
from upnext.kit.etag import NOT_MODIFIED, IfNoneMatch, cached_body, cached_json
from upnext.kit.openapi import Message, errors
from upnext.kit.pagination import ListObject, ShortPage, list_object
from upnext.kit.responses import JSON, SUCCESS, json_response, no_content
from upnext.sessions import service
from upnext.sessions.schemas import (
    PLATFORM_ID_DESCRIPTION,
    AttachBody,
    HandoffAttachIn,
    HideIn,
    ItemListQuery,
    SessionContextOut,
)
from upnext.settings import Settings

router = APIRouter(prefix="/v1/sessions/upnext", tags=["sessions"])

AdminPlatform = Annotated[
    str | None,
    Query(max_length=64, description=PLATFORM_ID_DESCRIPTION),
]


ListQuery = Annotated[ItemListQuery, Query()]


READERS: tuple[Role, ...] = ("platform", "admin")


def _read(request: Request) -> AbstractAsyncContextManager[AsyncConnection]:
    """The read transaction of a GET. These routes are every home screen's load, so they
    open it themselves instead of through the ``Conn`` dependency: its generator set-up and
    exit stack cost a fifth of the request (profile in bench/README.md)."""
    db: Database = request.app.state.db
    return db.read()


async def _item_list(
    request: Request,
    session_id: str,
    context_id: str | None,
    credentials: HTTPBasicCredentials,
    query: ItemListQuery,
    if_none_match: str | None,
) -> Response:
    """The session's aggregated list, or one attached context's (``context_id``)."""
    settings: Settings = request.app.state.settings
    view = contexts.list_view(
        settings.item_ttl_days,
        per_series=query.per_series,
        per_app_limit=query.per_app_limit,
        windowed=True,
        filters=query.filters,
    )
    page, media_base = query.page, settings.media_base
    async with _read(request) as conn:
        caller = await authorize(conn, credentials, *READERS)
        owner = await service.session_platform(conn, caller, session_id, query.platform_id)
        if context_id is None:
            body = await service.aggregated_list(conn, owner, session_id, page, media_base, view)
        else:
            body = await service.context_list(
                conn, owner, session_id, context_id, page, media_base, view
            )
    return cached_body(body, if_none_match)


@router.put("/{session_id}", response_model=SessionContextOut, responses=errors(404, 409, 422))
async def attach_context(
    session_id: SessionId, body: AttachBody, conn: Conn, caller: PlatformCaller
) -> JSON:
    """Attach a context to the session, creating the session if needed.

    A session holds one context per app: attaching another context of the same app
    replaces the previous one. Name the context (`app_id`, `context_id`), or give the
    one-time `handoff_token` the app minted for it (docs/handoffs.md).
    """
    assert caller.platform_id is not None
    if isinstance(body, HandoffAttachIn):
        attached = await service.attach_with_handoff(
            conn, caller.platform_id, session_id, body.handoff_token
        )
    else:
        attached = await service.attach_context(
            conn, caller.platform_id, session_id, body.app_id, body.context_id
        )
    return json_response(attached)


@router.get(
    "/{session_id}",
    response_model=ListObject[SessionItemOut],
    responses={**errors(404), **NOT_MODIFIED},
)
async def aggregated_list(
    request: Request,
    session_id: SessionId,
    credentials: Credentials,
    query: ListQuery,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The aggregated list of all attached contexts, newest first."""
    return await _item_list(request, session_id, None, credentials, query, if_none_match)


@router.delete("/{session_id}", status_code=204, responses=errors(404))
async def delete_session(session_id: SessionId, conn: Conn, caller: PlatformCaller) -> Response:
    """Delete the session and its attachments (never the contexts' items)."""
    assert caller.platform_id is not None
    await service.delete_session(conn, caller.platform_id, session_id)
    return no_content()


@router.get(
    "/{session_id}/contexts",
    response_model=ListObject[SessionContextOut],
    responses={**errors(404), **NOT_MODIFIED},
)
async def session_contexts(
    request: Request,
    session_id: SessionId,
    credentials: Credentials,
    page: ShortPage,
    platform_id: AdminPlatform = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The contexts attached to the session."""
    async with _read(request) as conn:
        caller = await authorize(conn, credentials, *READERS)
        owner = await service.session_platform(conn, caller, session_id, platform_id)
        entries, total = await service.session_contexts(conn, owner, session_id, page)
    return cached_json(list_object(entries, total, page), if_none_match)


@router.get(
    "/{session_id}/{context_id}",
    response_model=ListObject[SessionItemOut],
    responses={**errors(404), **NOT_MODIFIED},
)
async def context_list(
    request: Request,
    session_id: SessionId,
    context_id: ContextId,
    credentials: Credentials,
    query: ListQuery,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One attached context's list, newest first."""
    return await _item_list(request, session_id, context_id, credentials, query, if_none_match)


@router.put("/{session_id}/{context_id}", response_model=Message, responses=errors(404, 422))
async def hide_item(
    session_id: SessionId, context_id: ContextId, body: HideIn, conn: Conn, caller: PlatformCaller
) -> JSON:
    """Hide or unhide an item (or its series, or snooze it); the publisher is told by an
    item_hidden/item_unhidden webhook."""
    assert caller.platform_id is not None
    hidden = body.action == "hide"
    await service.set_hidden(
        conn,
        caller.platform_id,
        session_id,
        context_id,
        body.content_id,
        hidden,
        scope=body.scope,
        until=body.until_us,
    )
    return json_response(SUCCESS)


@router.delete("/{session_id}/{context_id}", status_code=204, responses=errors(404))
async def detach_context(
    session_id: SessionId, context_id: ContextId, conn: Conn, caller: PlatformCaller
) -> Response:
    """Remove a context from the session."""
    assert caller.platform_id is not None
    await service.detach_context(conn, caller.platform_id, session_id, context_id)
    return no_content()
